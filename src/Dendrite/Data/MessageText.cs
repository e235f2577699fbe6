using System.Text;

namespace Dendrite.Data;

/// <summary>
/// Text from a file as it may appear inside an error message: control characters (NUL, CR, LF, ESC…) become visible
/// escapes and long text is cut, so a message stays one printable line whatever bytes a damaged file holds.
/// </summary>
internal static class MessageText
{
    /// <summary>The longest piece of file text a message quotes.</summary>
    private const int MaxQuoted = 80;

    /// <summary><paramref name="text"/> with every control character written as \uXXXX and cut to 80 characters.</summary>
    public static string Printable(string text)
    {
        bool cut = text.Length > MaxQuoted;
        var span = cut ? text.AsSpan(0, MaxQuoted) : text.AsSpan();
        if (!cut && !span.ContainsAnyInRange('\0', '\u001F') && !ContainsOtherControls(span)) return text;
        var builder = new StringBuilder(span.Length + 8);
        foreach (char c in span) Append(builder, c);
        if (cut) builder.Append('…');
        return builder.ToString();
    }

    /// <summary>One character, escaped when it is a control character.</summary>
    public static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString();

    /// <summary>A whole message made one printable line: control characters escaped, nothing cut.</summary>
    public static string OneLine(string message)
    {
        if (!message.AsSpan().ContainsAnyInRange('\0', '\u001F') && !ContainsOtherControls(message)) return message;
        var builder = new StringBuilder(message.Length + 8);
        foreach (char c in message) Append(builder, c);
        return builder.ToString();
    }

    private static bool ContainsOtherControls(ReadOnlySpan<char> text) => text.ContainsAnyInRange('\u007F', '\u009F');

    private static void Append(StringBuilder builder, char c)
    {
        if (char.IsControl(c)) builder.Append($"\\u{(int)c:X4}");
        else builder.Append(c);
    }
}
