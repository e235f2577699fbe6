namespace Dendrite.Data;

/// <summary>A data file is malformed; the message names the file, the byte offset and what is wrong.</summary>
public sealed class DataFormatException(string message, Exception? inner = null) : IOException(message, inner);
