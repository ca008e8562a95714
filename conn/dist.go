package conn

import (
	"math"
	"slices"
	"time"

	"github.com/mqttdump/mqttdump/render"
)

// maxExact is how many samples a distribution keeps exactly; beyond it
// they go into a log-scale histogram whose buckets are 1% wide, so a
// percentile is then within 0.5% of the true value.
const maxExact = 1 << 17

const (
	histBase    = 1.01
	histBuckets = 4000 // 1.01^4000 ns is far beyond any capture
)

// dist collects durations and reports nearest-rank percentiles.
type dist struct {
	samples  []time.Duration
	hist     []uint32
	n        int
	min, max time.Duration
}

func (d *dist) add(v time.Duration) {
	if v < 0 {
		v = 0
	}
	if d.n == 0 || v < d.min {
		d.min = v
	}
	if d.n == 0 || v > d.max {
		d.max = v
	}
	d.n++
	if d.hist == nil && len(d.samples) < maxExact {
		d.samples = append(d.samples, v)
		return
	}
	if d.hist == nil {
		d.hist = make([]uint32, histBuckets)
		for _, s := range d.samples {
			d.hist[bucket(s)]++
		}
		d.samples = nil
	}
	d.hist[bucket(v)]++
}

func bucket(v time.Duration) int {
	if v <= 1 {
		return 0
	}
	b := int(math.Log(float64(v)) / math.Log(histBase))
	return min(max(b, 0), histBuckets-1)
}

// bucketValue is the middle of bucket b (geometrically).
func bucketValue(b int) time.Duration {
	return time.Duration(math.Pow(histBase, float64(b)+0.5))
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100).
func (d *dist) percentile(p float64) time.Duration {
	if d.n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(d.n)))
	rank = min(max(rank, 1), d.n)
	if d.hist == nil {
		return d.samples[rank-1]
	}
	seen := 0
	for b, c := range d.hist {
		seen += int(c)
		if seen >= rank {
			return min(max(bucketValue(b), d.min), d.max)
		}
	}
	return d.max
}

// report sorts the exact samples and fills a render.Dist.
func (d *dist) report(name string, unanswered int) render.Dist {
	if d.hist == nil {
		slices.Sort(d.samples)
	}
	r := render.Dist{Name: name, Count: d.n, Unanswered: unanswered, Exact: d.hist == nil}
	if d.n > 0 {
		r.Min, r.Max = d.min, d.max
		r.P50, r.P90, r.P99 = d.percentile(50), d.percentile(90), d.percentile(99)
		r.Histogram = d.histogram()
	}
	return r
}

// histogram folds the distribution into 8 log-spaced bins from min to max.
func (d *dist) histogram() []int {
	const bins = 8
	out := make([]int, bins)
	lo, hi := math.Log(float64(max(d.min, 1))), math.Log(float64(max(d.max, 1)))
	place := func(v time.Duration, c int) {
		i := 0
		if hi > lo {
			i = int((math.Log(float64(max(v, 1))) - lo) / (hi - lo) * bins)
		}
		out[min(max(i, 0), bins-1)] += c
	}
	if d.hist == nil {
		for _, s := range d.samples {
			place(s, 1)
		}
	} else {
		for b, c := range d.hist {
			if c > 0 {
				place(bucketValue(b), int(c))
			}
		}
	}
	return out
}
