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

    /// <summary>Relative tolerance per element, times √<see cref="Terms"/>, for cases that are not exact.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>The seed the buffers are drawn from.</summary>
    public const ulong Seed = 15;

    /// <summary>
    /// Runs the case on <paramref name="tested"/> and on <paramref name="reference"/> from the same buffers and asserts
    /// that every buffer agrees: to the bit when <see cref="Exact"/>, else within the tolerance.
    /// </summary>
    public void AssertAgree(Backend tested, Backend reference)
    {
        var buffers = Buffers(new Generator(Seed));
        var actual = RunOn(tested, buffers);
        var expected = RunOn(reference, buffers);
        double bound = Tolerance * Math.Sqrt(Terms);
        for (int b = 0; b < buffers.Length; b++)
            for (int i = 0; i < buffers[b].Length; i++)
            {
                float x = actual[b][i];
                float y = expected[b][i];
                bool same = x == y || float.IsNaN(x) && float.IsNaN(y);
                bool close = Math.Abs(x - y) <= bound * (1 + Math.Abs(y));
                Assert.True(Exact ? same : same || close,
                    $"{Name}: buffer {b}, element {i}: {tested.Name} {x}, {reference.Name} {y}");
            }
    }

    private float[][] RunOn(Backend backend, float[][] buffers)
    {
        var storages = buffers.Select(values => backend.Upload(values)).ToArray();
        Run(backend, storages);
        return storages.Select(s =>
        {
            var values = new float[s.Length];
            backend.Download(s, values);
            return values;
        }).ToArray();
    }
}
