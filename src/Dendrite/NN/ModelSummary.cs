using System.Globalization;
using System.Text;

namespace Dendrite.NN;

/// <summary>
/// What <see cref="Module.Summary"/> found: a row per layer run, in call order, and the parameter totals. Its
/// <see cref="ToString"/> is the Keras-style table.
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary(string modelType, Shape input, Shape output, IReadOnlyList<SummaryRow> rows,
        long trainable, long nonTrainable)
    {
        ModelType = modelType;
        InputShape = input;
        OutputShape = output;
        Rows = rows;
        TrainableParameters = trainable;
        NonTrainableParameters = nonTrainable;
    }

    /// <summary>The model's class name.</summary>
    public string ModelType { get; }

    /// <summary>The shape the model was run on.</summary>
    public Shape InputShape { get; }

    /// <summary>The shape the model returned.</summary>
    public Shape OutputShape { get; }

    /// <summary>The layers that ran, in order.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Trainable plus non-trainable.</summary>
    public long TotalParameters => TrainableParameters + NonTrainableParameters;

    /// <summary>Elements of parameters that require grad.</summary>
    public long TrainableParameters { get; }

    /// <summary>
    /// Elements of frozen parameters (RequiresGrad false) and of buffers: BatchNorm's running mean and variance, as Keras
    /// counts them, and also its one-element num_batches_tracked counter.
    /// </summary>
    public long NonTrainableParameters { get; }

    internal static ModelSummary Build(Module model, Shape input)
    {
        // Modules do not override Equals, so the dictionary compares references: a layer used twice keeps one name.
        var names = new Dictionary<Module, string>();
        foreach (var (name, module) in model.NamedModules())
            if (module != model) names.TryAdd(module, name);
        var rows = new List<SummaryRow>();
        var handles = names.Keys.Select(m => m.RegisterForwardHook((module, _, output) =>
        {
            string name = names[module];
            rows.Add(new SummaryRow(name, module.GetType().Name, name.Count(c => c == '.') + 1, output.Shape,
                module.Parameters().Sum(p => (long)p.Numel)));
        })).ToList();
        bool wasTraining = model.Training;
        Shape output;
        try
        {
            model.Eval();
            using var _ = Tensor.NoGrad();
            output = model.Call(Tensor.Zeros(input)).Shape;
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            model.Train(wasTraining);
        }
        var parameters = model.Parameters();
        long trainable = parameters.Where(p => p.RequiresGrad).Sum(p => (long)p.Numel);
        long frozen = parameters.Where(p => !p.RequiresGrad).Sum(p => (long)p.Numel)
            + model.NamedBuffers().Sum(b => (long)b.Buffer.Numel);
        return new ModelSummary(model.GetType().Name, input, output, rows, trainable, frozen);
    }

    /// <summary>The table: "Layer (type)", "Output Shape", "Param #", then totals, as Keras' <c>model.summary()</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var cells = Rows.Select(r => (Layer: new string(' ', 2 * (r.Depth - 1)) + $"{r.Name} ({r.Type})",
            Shape: r.OutputShape.ToString(), Params: r.Parameters.ToString("N0", c))).ToList();
        int w1 = Math.Max("Layer (type)".Length, cells.Count == 0 ? 0 : cells.Max(x => x.Layer.Length)) + 2;
        int w2 = Math.Max("Output Shape".Length, cells.Count == 0 ? 0 : cells.Max(x => x.Shape.Length)) + 2;
        int w3 = Math.Max("Param #".Length, cells.Count == 0 ? 0 : cells.Max(x => x.Params.Length));
        int width = w1 + w2 + w3;
        var sb = new StringBuilder();
        sb.Append(c, $"Model: {ModelType}, input {InputShape}\n");
        sb.Append('=', width).Append('\n');
        sb.Append("Layer (type)".PadRight(w1)).Append("Output Shape".PadRight(w2)).Append("Param #".PadLeft(w3)).Append('\n');
        sb.Append('-', width).Append('\n');
        foreach (var (layer, shape, count) in cells)
            sb.Append(layer.PadRight(w1)).Append(shape.PadRight(w2)).Append(count.PadLeft(w3)).Append('\n');
        sb.Append('=', width).Append('\n');
        sb.Append(c, $"Total params: {TotalParameters:N0}\n");
        sb.Append(c, $"Trainable params: {TrainableParameters:N0}\n");
        sb.Append(c, $"Non-trainable params: {NonTrainableParameters:N0}\n");
        sb.Append(c, $"Output shape: {OutputShape}\n");
        return sb.ToString();
    }
}
