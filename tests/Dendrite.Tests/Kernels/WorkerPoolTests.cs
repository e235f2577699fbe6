using Dendrite.Backends;
using Dendrite.Backends.Cpu;

namespace Dendrite.Tests.Kernels;

public class WorkerPoolTests
{
    [Fact]
    public void Back_to_back_jobs_each_run_every_index_once_with_their_own_body()
    {
        // A worker leaving job k must never run an index of job k + 1 with job k's body: each job tags its own slots.
        var pool = new WorkerPool(3);
        for (int job = 1; job <= 2000; job++)
        {
            int count = 1 + job % 37;
            var seen = new int[count];
            int tag = job;
            pool.Run(count, i => Interlocked.Add(ref seen[i], tag));
            Assert.All(seen, v => Assert.Equal(tag, v));
        }
    }

    [Fact]
    public void An_exception_in_a_body_reaches_the_caller_after_all_indices_finish()
    {
        var pool = new WorkerPool(1);
        int done = 0;
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(50, i =>
        {
            if (i == 7) throw new InvalidOperationException("index 7");
            Interlocked.Increment(ref done);
        }));
        Assert.Equal("index 7", e.Message);
        Assert.Equal(49, done);
        pool.Run(4, _ => Interlocked.Increment(ref done)); // still usable
        Assert.Equal(53, done);
    }

    [Fact]
    public void Nested_runs_execute_inline()
    {
        var pool = new WorkerPool(1);
        var cells = new int[4, 5];
        pool.Run(4, i => pool.Run(5, j => cells[i, j]++));
        foreach (int v in cells) Assert.Equal(1, v);
    }
}
