using Dendrite.Backends;

namespace Dendrite.Tests.Backends;

/// <summary>
/// One comparison of two backends: buffers drawn from a seed, and a call (or a short chain of calls) to run on them.
/// Every buffer is uploaded to each backend, the call runs, and every buffer (inputs too, since some methods update in
/// place) is compared element by element afterwards.
/// </summary>
/// <param name="Name">The method and its awkward shape, as the test's display name.</param>
/// <param name="Buffers">The buffers' starting values; outputs start as NaN so that an unwritten element shows.</param>
/// <param name="Run">The call, on one backend's copies of the buffers.</param>
public sealed record AgreementCase(string Name, Func<Generator, float[][]> Buffers, Action<Backend, Storage[]> Run)
{
    /// <summary>Terms in the longest sum behind one output value: rounding grows with its square root.</summary>
    public int Terms { get; init; } = 1;

    /// <summary>Copies, masks, indices and maxima: equal to the bit (NaN equal to NaN).</summary>
    public bool Exact { get; init; }

    public override string ToString() => Name;
}
