using Dendrite.IO;

namespace Dendrite.PluginSample;

/// <summary>
/// A registration that fails when <c>DENDRITE_PLUGIN_SAMPLE_FAIL</c> is set (to the message it throws), so the tests
/// can check how the tool reports a plugin that throws; otherwise it registers nothing.
/// </summary>
public sealed class FailingPlugin : IDendritePlugin
{
    public void Register()
    {
        if (Environment.GetEnvironmentVariable("DENDRITE_PLUGIN_SAMPLE_FAIL") is { Length: > 0 } message)
            throw new InvalidOperationException(message);
    }
}
