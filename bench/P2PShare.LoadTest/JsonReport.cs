using System.Text;
using System.Text.Json;

namespace P2PShare.LoadTest;

/// <summary>Figures collected as they come and written as one JSON object on one line, for run.sh to parse.</summary>
internal sealed class JsonReport
{
    private readonly List<(string Name, object? Value)> _fields = [];

    public JsonReport Add(string name, object? value)
    {
        _fields.Add((name, value));
        return this;
    }

    public override string ToString()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in _fields)
            {
                switch (value)
                {
                    case null:
                        writer.WriteNull(name);
                        break;
                    case string text:
                        writer.WriteString(name, text);
                        break;
                    case double number when !double.IsFinite(number):
                        writer.WriteNull(name);
                        break;
                    case double number:
                        writer.WriteNumber(name, Math.Round(number, 4));
                        break;
                    case int number:
                        writer.WriteNumber(name, number);
                        break;
                    case long number:
                        writer.WriteNumber(name, number);
                        break;
                    default:
                        writer.WriteString(name, value.ToString());
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
