using System.CommandLine;
using System.Globalization;
using Dendrite.Data;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary>
/// The <c>dendrite</c> command. It parses arguments and calls the library; user errors become one line on stderr and
/// a non-zero exit code, never a stack trace.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        NativeVariants.ExecWidest(args);
        // A plain Command rather than RootCommand, so help says "dendrite" whatever the assembly is called.
        var root = new Command("dendrite", "Dendrite: deep learning in pure C#. Train and inspect neural networks from the shell.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        var plugins = Plugins.Option();
        root.Options.Add(plugins);
        root.Subcommands.Add(TrainCommand());
        root.Subcommands.Add(ModelCommands.Eval());
        root.Subcommands.Add(ModelCommands.Predict());
        root.Subcommands.Add(ModelCommands.Export());
        root.Subcommands.Add(Devices.Command());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // "dendrite bogus" yields "Required command was not provided" first; the error naming the stray token
            // says what to fix.
            var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'")))
                ?? parse.Errors[0];
            Console.Error.WriteLine($"dendrite: {OneLine(ParseErrorMessage(error.Message))} (see 'dendrite --help')");
            return 2;
        }
        try
        {
            Plugins.Load(parse.GetValue(plugins) ?? []);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"dendrite: error: {OneLine(UserMessage(e))}");
            return 1;
        }
    }

    private static bool IsUserError(Exception e) =>
        e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or TrainingDivergedException
            or NotSupportedException;

    // ArgumentException appends " (Parameter 'name')": the name of a C# parameter means nothing on the command line.
    private static string UserMessage(Exception e)
    {
        string suffix = e is ArgumentException { ParamName: { } name } ? $" (Parameter '{name}')" : "";
        string message = suffix.Length > 0 && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
        for (var cause = e; cause is not null; cause = cause.InnerException)
            if (cause.Data[Dendrite.IO.Architecture.UnknownLayerTypeKey] is string)
                return $"{message} Hint: if a plugin assembly defines that layer type, load it with --plugin PATH.dll.";
        return message;
    }

    /// <summary>
    /// The message on one line with every other control character (a NUL from a damaged file's text, an escape
    /// sequence) written as \uXXXX, so a terminal shows what the file holds rather than obeying it.
    /// </summary>
    internal static string OneLine(string message)
    {
        var text = new System.Text.StringBuilder(message.Length);
        foreach (char c in message.ReplaceLineEndings(" "))
        {
            if (char.IsControl(c)) text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else text.Append(c);
        }
        return text.ToString();
    }

    // System.CommandLine says "Cannot parse argument 'abc' for option '--epochs' as expected type
    // 'System.Nullable`1[System.Int32]'": a .NET type name means nothing on the command line.
    private static readonly System.Text.RegularExpressions.Regex s_cannotParse = new(
        @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.?$");

    internal static string ParseErrorMessage(string message)
    {
        var match = s_cannotParse.Match(message);
        if (!match.Success) return message;
        string type = match.Groups["type"].Value;
        string expected = type.Contains("UInt", StringComparison.Ordinal) ? "a non-negative integer"
            : type.Contains("Int", StringComparison.Ordinal) ? "an integer"
            : type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a valid value";
        return $"{match.Groups["option"].Value}: '{match.Groups["value"].Value}' is not {expected}";
    }

    /// <summary>
    /// The most kernel threads --threads accepts: twice the CPUs this process sees. More only time-share the cores (999
    /// threads started 1,005 and never finished an epoch), and twice leaves room for hyperthreads the count may hide.
    /// </summary>
    private static int MaxThreads => 2 * Environment.ProcessorCount;

    private static Command TrainCommand()
    {
        var model = new Argument<string>("model")
        {
            Description = "A run file (run.json: your data, model and recipe; see docs/run-files.md), or a preset network: "
                + string.Join("; ", Presets.Descriptions.Select(kv => $"{kv.Key} ({kv.Value})"))
                + "; " + GenerativeTraining.Descriptions,
        };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the preset as a run file (JSON) instead of training: saved and passed to 'train FILE', it trains the same thing." };
        var epochs = new Option<int?>("--epochs") { Description = "Number of passes over the training set (default: the preset's, 3 for the protocol nets)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Samples per gradient step (default: the preset's: 128 for mnist-mlp, 64 for mnist-cnn)." };
        var lr = new Option<float?>("--lr") { Description = "Adam learning rate, or the one-cycle peak (default: the preset's, 1e-3 for the protocol nets)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed for initial weights and data order; same seed, same run.", DefaultValueFactory = _ => MnistRunOptions.DefaultSeed };
        var outDir = new Option<string?>("--out") { Description = "Directory to write model.safetensors (PyTorch state_dict names), history.csv, report.html and tensorboard/ event files into." };
        var dataDir = new Option<string?>("--data") { Description = "Directory with the four MNIST .gz IDX files (default: $DENDRITE_MNIST, else a data/mnist folder above the working directory, else the one the tool carries)." };
        var summary = new Option<bool>("--summary") { Description = "Print the model's layers, output shapes and parameter counts before training." };
        var viz = new Option<string?>("--viz") { Description = "Directory to write PNGs into after training: the first conv layer's filters and the feature maps of a test digit after each conv layer." };
        var threads = new Option<int?>("--threads") { Description = "Worker threads for the kernels (default: all cores, or $DENDRITE_NUM_THREADS)." };
        var checkpointDir = new Option<string?>("--checkpoint-dir") { Description = "Directory to save a checkpoint into after every epoch (model, optimiser, RNG state)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the latest checkpoint in --checkpoint-dir up to --epochs in total; the result is bit-identical to an uninterrupted run." };
        var distributed = new Option<bool>("--distributed") { Description = "Data-parallel training over MPI: start with mpirun -np N (or srun); --batch-size stays the global batch, split over the ranks." };
        var device = Devices.Option();
        var deterministic = new Option<bool>("--deterministic") { Description = "With --distributed: sum gradients in rank order, so results do not depend on the MPI library." };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Train on the first N training images only (a quick trial run; default: all 60,000)." };
        var overrideOption = new Option<bool>("--override") { Description = "With --resume: continue with changed --lr or --batch-size (refused otherwise, since the result then differs from an uninterrupted run)." };
        var fresh = new Option<bool>("--fresh") { Description = "Delete the checkpoints already in --checkpoint-dir and start over (a new run into a directory holding checkpoints is refused otherwise)." };

        var command = new Command("train", "Train on your own data from a run file, or a preset network on MNIST, printing per-epoch time, loss and accuracy.")
        {
            model, epochs, batchSize, lr, seed, outDir, dataDir, summary, viz, threads, checkpointDir, resume,
            distributed, deterministic, trainSamples, overrideOption, fresh, device, printConfig,
        };
        var generative = new GenerativeTraining();
        foreach (var option in generative.Options) command.Options.Add(option);
        command.SetAction(parse =>
        {
            if (parse.GetValue(printConfig))
            {
                Console.Out.WriteLine(Presets.RunFileJson(parse.GetValue(model)!));
                return 0;
            }
            if (parse.GetValue(threads) is { } n)
                Torch.NumThreads = n >= 1 && n <= MaxThreads ? n : throw new ArgumentException(
                    $"--threads must be between 1 and {MaxThreads} (this machine's {Environment.ProcessorCount} CPUs, twice over), got {n}.");
            var options = new MnistRunOptions(
                Model: parse.GetValue(model)!,
                Epochs: parse.GetValue(epochs),
                BatchSize: parse.GetValue(batchSize),
                Lr: parse.GetValue(lr),
                Seed: parse.GetValue(seed),
                OutDir: parse.GetValue(outDir),
                DataDir: parse.GetValue(dataDir),
                Summary: parse.GetValue(summary),
                VizDir: parse.GetValue(viz),
                CheckpointDir: parse.GetValue(checkpointDir),
                Resume: parse.GetValue(resume),
                TrainLimit: parse.GetValue(trainSamples),
                Override: parse.GetValue(overrideOption),
                Fresh: parse.GetValue(fresh),
                Device: Devices.Resolve(parse.GetValue(device)!));
            if (RunFile.IsRunFile(options.Model))
            {
                if (parse.GetValue(distributed) || parse.GetValue(deterministic) || parse.GetValue(dataDir) is not null)
                    throw new ArgumentException($"{(parse.GetValue(dataDir) is not null ? "--data" : "--distributed")} applies to the MNIST presets; a run file names its data in \"data\".");
                var run = RunFile.Read(options.Model);
                RunFileTraining.Run(run, options, seedGiven: parse.GetResult(seed) is { Implicit: false }, Console.Out, interactive: !Console.IsOutputRedirected);
                return 0;
            }
            if (parse.GetValue(distributed)) return DistributedTraining.Run(options, parse.GetValue(deterministic));
            if (parse.GetValue(deterministic))
                throw new ArgumentException("--deterministic applies to --distributed runs.");
            if (GenerativeTraining.Handles(options.Model)) return generative.Run(parse, options, seedGiven: parse.GetResult(seed) is { Implicit: false });
            MnistRun.Run(options, Console.Out, interactive: !Console.IsOutputRedirected);
            return 0;
        });
        return command;
    }
}
