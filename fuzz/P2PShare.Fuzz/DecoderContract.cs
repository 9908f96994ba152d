using P2PShare.Protocol;
using static P2PShare.Fuzz.ContractViolationException;

namespace P2PShare.Fuzz;

/// <summary>
/// The codec's contract on any bytes: <see cref="MessageCodec.Decode"/> either returns a message
/// or throws a <see cref="ProtocolException"/> with the code PROTOCOL.md gives (5 for an unknown
/// type, otherwise 1); <see cref="MessageCodec.Validate"/> gives the same verdict and reason; the
/// views agree with the record (<see cref="ViewAgreement"/>); and a decoded message encodes back
/// to the same payload. Any other exception escapes and is a crash.
/// </summary>
internal static class DecoderContract
{
    /// <summary>Checks the contract; returns the message, or null when the codec refused the payload.</summary>
    public static Message? Check(byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        Message decoded;
        try
        {
            decoded = MessageCodec.Decode(type, payload, channel);
        }
        catch (ProtocolException refused)
        {
            CheckRefusal(type, refused);
            CheckValidateRefuses(type, payload, channel, refused);
            return null;
        }

        try
        {
            MessageCodec.Validate(type, payload, channel);
        }
        catch (ProtocolException ex)
        {
            throw new ContractViolationException($"Validate refused what Decode accepted: {ex.Message}", ex);
        }

        Require((byte)decoded.Type == type, $"type {type} decoded as {decoded.Name}");
        try
        {
            ViewAgreement.Check(decoded, payload);
            CheckEncodesBack(decoded, payload, channel);
        }
        catch (ProtocolException ex)
        {
            throw new ContractViolationException($"a view or the encoder refused what Decode accepted: {ex.Message}", ex);
        }

        return decoded;
    }

    private static void CheckRefusal(byte type, ProtocolException refused)
    {
        var known = type is >= (byte)MessageType.Register and <= Limits.MaxMessageType;
        var expected = known ? ErrorCode.BadRequest : ErrorCode.Unsupported;
        Require(refused.Code == expected, $"type {type} refused with code {refused.Code}, expected {expected}: {refused.Message}");
        Require(!string.IsNullOrWhiteSpace(refused.Message), "a refusal without a reason");
    }

    private static void CheckValidateRefuses(byte type, ReadOnlySpan<byte> payload, Channel channel, ProtocolException refused)
    {
        try
        {
            MessageCodec.Validate(type, payload, channel);
        }
        catch (ProtocolException ex)
        {
            Require(ex.Code == refused.Code && ex.Message == refused.Message, $"Validate refused with \"{ex.Message}\", Decode with \"{refused.Message}\"");
            return;
        }

        throw new ContractViolationException($"Validate accepted what Decode refused: {refused.Message}");
    }

    /// <summary>
    /// The encoder writes what it decoded from, byte for byte, with two exceptions the protocol
    /// allows: a GET whose optional fields are all at their defaults may arrive in the long form
    /// and is written back in the short one; and a RESULTS or SOURCES address of family 6 that is
    /// IPv4-mapped (::ffff:a.b.c.d) is read as it came and written back as family 4, the form
    /// PROTOCOL.md 3.5 sends it in (AddressGroup counts both forms as one address).
    /// </summary>
    private static void CheckEncodesBack(Message decoded, ReadOnlySpan<byte> payload, Channel channel)
    {
        var encoded = MessageCodec.EncodeFrame(decoded).AsSpan(Limits.FrameHeaderLength);
        if (decoded is GetMessage { HasRange: false } && payload.Length == encoded.Length + 8 + 8 + Limits.IdLength)
        {
            Require(payload.StartsWith(encoded) && !payload[encoded.Length..].ContainsAnyExcept((byte)0), "a long-form GET with default fields does not encode back to its short form");
            return;
        }

        if (decoded is ResultsMessage results && results.Peers.Any(peer => peer.Address.IsIPv4MappedToIPv6))
        {
            var normalized = new ResultsMessage([.. results.Peers.Select(peer => peer with { Address = MessageCodec.NormalizeAddress(peer.Address) })]);
            Require(MessageCodec.Decode((byte)MessageType.Results, encoded, channel) == normalized, "a RESULTS with an IPv4-mapped address does not encode back to its family-4 form");
            return;
        }

        if (decoded is SourcesMessage sources && sources.Sources.Any(source => source.Address.IsIPv4MappedToIPv6))
        {
            var normalized = sources with { Sources = [.. sources.Sources.Select(source => source with { Address = MessageCodec.NormalizeAddress(source.Address) })] };
            Require(MessageCodec.Decode((byte)MessageType.Sources, encoded, channel) == normalized, "a SOURCES with an IPv4-mapped address does not encode back to its family-4 form");
            return;
        }

        Require(encoded.SequenceEqual(payload), $"{decoded.Name} does not encode back to the {payload.Length} bytes it was decoded from");
        Require(MessageCodec.Decode((byte)decoded.Type, encoded, channel) == decoded, $"{decoded.Name} decodes to another message after encoding");
    }
}
