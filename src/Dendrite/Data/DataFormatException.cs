namespace Dendrite.Data;

/// <summary>
/// A data file is malformed; the message names the file, the byte offset and what is wrong. Control characters quoted
/// from the file are escaped, so the message is always one printable line.
/// </summary>
public sealed class DataFormatException(string message, Exception? inner = null) : IOException(MessageText.OneLine(message), inner);
