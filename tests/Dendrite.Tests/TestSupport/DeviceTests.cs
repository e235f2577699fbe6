namespace Dendrite.Tests.TestSupport;

/// <summary>
/// A test class run once per device: each derived class (…OnCpu, …OnReference) names its device, so the test names
/// show which backend ran. Inputs are made on the host and moved, as a user's data would be.
/// </summary>
public abstract class DeviceTests
{
    protected abstract Device Device { get; }

    /// <summary>A host tensor's copy on the device under test.</summary>
    protected Tensor On(Tensor host) => host.To(Device);
}
