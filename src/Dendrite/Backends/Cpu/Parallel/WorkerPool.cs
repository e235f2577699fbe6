namespace Dendrite.Backends.Cpu;

/// <summary>
/// A fork-join pool for microsecond-scale kernels: a fixed set of worker threads that spin briefly after each job
/// before sleeping, and a caller that works too. The runtime's thread pool takes tens to hundreds of microseconds to
/// wake a worker, which is longer than a whole batch-1 layer; here a waiting worker picks a job up in well under one.
/// </summary>
/// <remarks>
/// Each thread first works through its own contiguous share of the indices (thread t: the t-th of equal ranges), then
/// takes what is left of the others' shares, one index at a time. Shares keep locality: every kernel that splits a
/// batch gives the same samples to the same core, so a layer's output is still in that core's cache when the next
/// layer reads it (two virtual cores need not share a cache; a sample that moves between them costs a transfer).
/// Taking the rest keeps uneven or late work balanced. Which thread runs an index never affects a result: each index
/// writes its own outputs.
/// </remarks>
internal sealed class WorkerPool
{
    // A worker checks for a job after every Thread.SpinWait(1), about 45 ns with the call (.NET normalises a spin unit
    // to ~35 ns): a coarser spin between checks (SpinWait(20), ~0.8 µs) made a two-thread fork-join round trip 0.66–0.85
    // µs instead of ~0.5 µs, and a batch-1 forward pass forks once or twice per layer. 7,000 checks make ~0.3 ms of
    // spinning after a job before sleeping: long enough to bridge the serial gaps of a training step, short enough
    // not to hold a core.
    private const int SpinIterations = 7000;

    // The caller, done with its own share, checks as finely for the workers' last indices for ~90 µs (a layer's
    // imbalance), then backs off and yields, so a worker that lost its core to another process can get it back.
    private const int CallerSpinIterations = 2000;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _submit = new();
    private Job? _job;
    private long _generation;
    private int _sleeping;

    [ThreadStatic] private static bool t_inside;

    /// <summary>
    /// One Run's work. Its counters live with it, so a worker still leaving an earlier job can only touch that job,
    /// never claim an index of the next one. The pool keeps two and alternates, so a training step's hundreds of jobs
    /// allocate nothing: a job is refilled only once no worker is inside it (<see cref="Active"/> is 0) and it is not
    /// published, and a worker enters one only after counting itself in and seeing it still published.
    /// </summary>
    private sealed class Job
    {
        // Each share's next index sits on its own cache line, so threads draining different shares never contend; the
        // share's end sits beside it.
        private const int Stride = 16;
        private readonly int[] _counters;
        private static readonly Action<int> s_idle = static _ => { };
        public Action<int> Body = s_idle;
        public readonly int Shares;
        public int Pending;
        public int Active;
        public Exception? Error;

        public Job(int shares)
        {
            Shares = shares;
            _counters = new int[shares * Stride];
        }

        /// <summary>Readies the job for a new run; only while it is unpublished and no worker is inside it.</summary>
        public void Refill(Action<int> body, int count)
        {
            (Body, Pending, Error) = (body, count, null);
            for (int t = 0; t < Shares; t++)
            {
                _counters[t * Stride] = (int)((long)count * t / Shares);
                _counters[t * Stride + 1] = (int)((long)count * (t + 1) / Shares);
            }
        }

        /// <summary>Lets go of the body (and what its closure holds) once every index has run.</summary>
        public void Release() => Body = s_idle;

        /// <summary>Runs thread <paramref name="self"/>'s share, then helps with the others'.</summary>
        public void Work(int self)
        {
            for (int k = 0; k < Shares; k++) Drain((self + k) % Shares);
        }

        private void Drain(int share)
        {
            int i, end = _counters[share * Stride + 1];
            while ((i = Interlocked.Increment(ref _counters[share * Stride]) - 1) < end)
            {
                try { Body(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
                finally { Interlocked.Decrement(ref Pending); }
            }
        }
    }

    private readonly Job[] _jobs;
    private int _nextJob;

    public WorkerPool(int workers)
    {
        _threads = new Thread[workers];
        _jobs = [new Job(workers + 1), new Job(workers + 1)];
        for (int i = 0; i < workers; i++)
        {
            int share = i + 1; // the caller works share 0
            _threads[i] = new Thread(() => WorkerLoop(share)) { IsBackground = true, Name = $"Dendrite worker {share}" };
            _threads[i].Start();
        }
    }

    public int Workers => _threads.Length;

    /// <summary>True on a thread that is running a task of some pool's <see cref="Run"/>: more parallelism would run inline.</summary>
    public static bool IsInsideTask => t_inside;

    /// <summary>Runs body(i) for every i in [0, count) on the caller and the workers; returns when all are done.</summary>
    public void Run(int count, Action<int> body)
    {
        if (t_inside || count <= 1)
        {
            // Nested parallelism would deadlock a fixed pool; run inline instead.
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        lock (_submit)
        {
            var job = _jobs[_nextJob];
            _nextJob ^= 1;
            // A worker may still be leaving this job's previous run (draining past the ends): wait until it is out.
            var wait = new SpinWait();
            while (Volatile.Read(ref job.Active) != 0) wait.SpinOnce(sleep1Threshold: -1);
            job.Refill(body, count);
            Volatile.Write(ref _job, job);
            Interlocked.Increment(ref _generation);
            int sleeping = Volatile.Read(ref _sleeping);
            if (sleeping > 0) _wake.Release(sleeping);
            t_inside = true;
            try { job.Work(0); }
            finally { t_inside = false; }
            var spinner = new SpinWait();
            for (int spins = 0; Volatile.Read(ref job.Pending) > 0; spins++)
            {
                if (spins < CallerSpinIterations) Thread.SpinWait(1);
                else spinner.SpinOnce(sleep1Threshold: -1);
            }
            Volatile.Write(ref _job, null);
            job.Release();
            if (job.Error is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        }
    }

    private void WorkerLoop(int share)
    {
        t_inside = true;
        long seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen)
            {
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(1);
                    continue;
                }
                Interlocked.Increment(ref _sleeping);
                if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                Interlocked.Decrement(ref _sleeping);
                spins = 0;
            }
            seen = Volatile.Read(ref _generation);
            if (Volatile.Read(ref _job) is not { } job) continue;
            // Count in first, then check the job is still published: a job being refilled is unpublished, and one
            // published again after its refill is whole, so this worker either helps a complete run or leaves.
            Interlocked.Increment(ref job.Active);
            if (ReferenceEquals(Volatile.Read(ref _job), job)) job.Work(share);
            Interlocked.Decrement(ref job.Active);
        }
    }
}
