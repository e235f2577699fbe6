namespace Dendrite.Tests.TestSupport;

/// <summary>
/// Runs the <c>dendrite</c> command in-process with Console.Out and Console.Error captured. Tests that use it belong to
/// <see cref="ProcessStateCollection"/>: the console is process-wide.
/// </summary>
public static class CliRunner
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (savedOut, savedError) = (Console.Out, Console.Error);
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            Console.SetOut(output);
            Console.SetError(error);
            int code = Dendrite.Cli.Program.Main(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }
}
