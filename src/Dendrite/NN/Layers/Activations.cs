namespace Dendrite.NN;

// One module per activation of F; each forwards to its function with the constructor's arguments.

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => F.ReLU(input);
}

/// <summary>1 / (1 + e⁻ˣ).</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor input) => F.Sigmoid(input);
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor input) => F.Tanh(input);
}

/// <summary>x for x &gt; 0, negativeSlope·x otherwise.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    public float NegativeSlope { get; } = (float)negativeSlope;
    public override Tensor Forward(Tensor input) => F.LeakyReLU(input, NegativeSlope);
    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}

/// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
public sealed class ELU(double alpha = 1) : Module
{
    public float Alpha { get; } = (float)alpha;
    public override Tensor Forward(Tensor input) => F.ELU(input, Alpha);
    protected override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary>log(1 + e^(βx)) / β.</summary>
public sealed class Softplus(float beta = 1f, float threshold = 20f) : Module
{
    public float Beta { get; } = beta;
    public float Threshold { get; } = threshold;
    public override Tensor Forward(Tensor input) => F.Softplus(input, Beta, Threshold);
    protected override string ExtraRepr() => $"beta={Beta}, threshold={Threshold}";
}

/// <summary>x·Φ(x); approximate "none" or "tanh".</summary>
public sealed class GELU(string approximate = "none") : Module
{
    public string Approximate { get; } = approximate;
    public override Tensor Forward(Tensor input) => F.GELU(input, Approximate);
    protected override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>x·σ(x).</summary>
public sealed class SiLU : Module
{
    public override Tensor Forward(Tensor input) => F.SiLU(input);
}

/// <summary>Softmax along <see cref="Dim"/>.</summary>
public sealed class Softmax(int dim = -1) : Module
{
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor input) => F.Softmax(input, Dim);
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax along <see cref="Dim"/>.</summary>
public sealed class LogSoftmax(int dim = -1) : Module
{
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor input) => F.LogSoftmax(input, Dim);
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Maximum over consecutive groups of <see cref="PoolSize"/> features along <see cref="Dim"/>.</summary>
public sealed class Maxout(int poolSize, int dim = -1) : Module
{
    public int PoolSize { get; } = poolSize;
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor input) => F.Maxout(input, PoolSize, Dim);
    protected override string ExtraRepr() => $"pool_size={PoolSize}, dim={Dim}";
}

/// <summary>Returns its input.</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => input;
}
