package main

import (
	"math"
	"slices"
	"time"
)

// Percentiles summarises a set of durations in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// summarize sorts samples in place and returns their percentiles (nearest
// rank); all zero when there are none.
func summarize(samples []time.Duration) Percentiles {
	if len(samples) == 0 {
		return Percentiles{}
	}
	slices.Sort(samples)
	var total time.Duration
	for _, sample := range samples {
		total += sample
	}
	return Percentiles{
		Count: len(samples),
		P50:   millis(rank(samples, 0.50)),
		P90:   millis(rank(samples, 0.90)),
		P99:   millis(rank(samples, 0.99)),
		Max:   millis(samples[len(samples)-1]),
		Mean:  millis(total / time.Duration(len(samples))),
	}
}

// rank is the nearest-rank percentile q (0 < q <= 1) of sorted samples.
func rank(sorted []time.Duration, q float64) time.Duration {
	index := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(index, 0)]
}

// millis converts a duration to fractional milliseconds.
func millis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
