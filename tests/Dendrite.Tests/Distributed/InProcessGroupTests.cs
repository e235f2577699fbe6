using Dendrite.Distributed;

namespace Dendrite.Tests.Distributed;

public class InProcessGroupTests
{
    [Fact]
    public void AllReduce_gives_every_rank_the_sum()
    {
        var results = InProcessGroup.Run(3, g =>
        {
            float[] data = [g.Rank, 10 * g.Rank, 1];
            g.AllReduce(data);
            return data;
        });
        Assert.All(results, r => Assert.Equal([3f, 30f, 3f], r));   // 0 + 1 + 2, 0 + 10 + 20, 1 + 1 + 1
    }

    [Fact]
    public void Broadcast_copies_the_roots_values_and_AllGather_concatenates_in_rank_order()
    {
        var results = InProcessGroup.Run(3, g =>
        {
            float[] data = [g.Rank + 0.5f, -g.Rank];
            g.Broadcast(data, root: 1);
            var gathered = new float[3];
            g.AllGather([g.Rank * 2f], gathered);
            return data.Concat(gathered).ToArray();
        });
        Assert.All(results, r => Assert.Equal([1.5f, -1f, 0f, 2f, 4f], r));
    }

    [Fact]
    public void An_abort_on_one_rank_stops_the_others_with_its_message()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            if (g.Rank == 1) g.Abort("out of data");
            g.Barrier();   // rank 0 would wait here forever without the abort
            return 0;
        }));
        Assert.Contains("rank 1: out of data", e.Message);
    }

    [Fact]
    public void An_exception_on_one_rank_is_rethrown_and_releases_the_others()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessGroup.Run(2, g =>
        {
            if (g.Rank == 0) throw new InvalidDataException("bad batch");
            g.AllReduce(new float[4]);
            return 0;
        }));
        Assert.IsType<InvalidDataException>(e.InnerException);
    }
}
