namespace Dendrite.NN;

/// <summary>
/// Weight initialisers, as <c>torch.nn.init</c>. Fan-in and fan-out follow PyTorch: for a weight [out, in, k…],
/// fan_in = in·∏k and fan_out = out·∏k.
/// </summary>
public static class Init
{
    public static (int FanIn, int FanOut) Fans(Tensor weight)
    {
        if (weight.Rank < 2) throw new ArgumentException($"Init: fan in and fan out need a weight with at least 2 dimensions, got {weight.Shape}.");
        int receptive = weight.Shape.Product(2, weight.Rank);
        return (weight.Shape[1] * receptive, weight.Shape[0] * receptive);
    }

    public static void Uniform(Tensor t, float low, float high, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = low + (high - low) * g.NextFloat();
    }

    public static void Normal(Tensor t, float mean = 0f, float std = 1f, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = mean + std * g.NextNormal();
    }

    public static void Constant(Tensor t, float value) => t.Data.Fill(value);
    public static void Zeros(Tensor t) => t.Data.Clear();

    /// <summary>The recommended gain of an activation, as <c>torch.nn.init.calculate_gain</c>.</summary>
    public static float Gain(string nonlinearity, float param = 0.01f) => nonlinearity switch
    {
        "linear" or "sigmoid" or "identity" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => MathF.Sqrt(2f / (1 + param * param)),
        "selu" => 0.75f,
        _ => throw new ArgumentException($"Init.Gain: unknown nonlinearity \"{nonlinearity}\"."),
    };

    /// <summary>He (Kaiming) uniform: U(−b, b), b = gain·√(3 / fan_in) (He et al., 2015).</summary>
    public static void KaimingUniform(Tensor w, float a = 0f, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        float bound = Gain(nonlinearity, a) * MathF.Sqrt(3f / Fans(w).FanIn);
        Uniform(w, -bound, bound, generator);
    }

    /// <summary>He (Kaiming) normal: N(0, std²), std = gain / √fan_in.</summary>
    public static void KaimingNormal(Tensor w, float a = 0f, string nonlinearity = "leaky_relu", Generator? generator = null) =>
        Normal(w, 0f, Gain(nonlinearity, a) / MathF.Sqrt(Fans(w).FanIn), generator);

    /// <summary>Glorot (Xavier) uniform: U(−b, b), b = gain·√(6 / (fan_in + fan_out)) (Glorot &amp; Bengio, 2010).</summary>
    public static void XavierUniform(Tensor w, float gain = 1f, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(w);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(w, -bound, bound, generator);
    }

    /// <summary>Glorot (Xavier) normal: N(0, std²), std = gain·√(2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal(Tensor w, float gain = 1f, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(w);
        Normal(w, 0f, gain * MathF.Sqrt(2f / (fanIn + fanOut)), generator);
    }
}
