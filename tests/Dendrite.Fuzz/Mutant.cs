namespace Dendrite.Fuzz;

/// <summary>One fuzz input: the bytes of a file and the name it is written under (the extension picks the reader).</summary>
public sealed record Mutant(string FileName, byte[] Bytes, string Recipe);
