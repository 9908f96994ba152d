using System.Text.Json;
using P2PShare.Protocol;

namespace P2PShare.Cli.Output;

/// <summary>
/// The <c>search --json</c> format: an array of <c>{"address","port","files":[{"name","size","id"}]}</c>,
/// id in lower-case hex. Written field by field so the shape is exactly the documented one.
/// </summary>
internal static class SearchJson
{
    public static string Write(IReadOnlyList<PeerFiles> results)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var peer in results)
            {
                writer.WriteStartObject();
                writer.WriteString("address", MessageCodec.NormalizeAddress(peer.Address).ToString());
                writer.WriteNumber("port", peer.Port);
                writer.WriteStartArray("files");
                foreach (var file in peer.Files)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", file.Name);
                    writer.WriteNumber("size", file.Size);
                    writer.WriteString("id", file.Id.ToString());
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
