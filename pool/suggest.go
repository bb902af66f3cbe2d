// Suggest: a configuration fitted to observed request sizes within a byte budget.

package pool

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/memkit/memkit"
)

// suggestMaxClasses is the most classes Suggest proposes; suggestMaxSizes
// the most distinct sizes it partitions exactly (more are first rounded up
// to eighth-of-a-power-of-two steps).
const (
	suggestMaxClasses = 8
	suggestMaxSizes   = 128
	suggestAlign      = 8
)

// Suggest returns a Config whose classes are fitted to sizes, a sample of
// request sizes as observed in a program (repeats carry weight), and whose
// RequiredSize is at most budget bytes. The method, step by step:
//
//  1. Round every size up to 8 bytes (the Align of the result; larger
//     when the largest size exceeds 4 MiB, to keep the size table at most
//     512 Ki entries) and count how often each distinct size occurs. If there are more than 128
//     distinct sizes, round them up further to steps of an eighth of their
//     power of two (at most 12.5% more) until there are not.
//  2. For K classes, the K class sizes that minimize the internal waste
//     Σ frequency × (class size − request size) over the sample, each size
//     served by the smallest class that holds it, are found by an exact
//     dynamic program over the sorted sizes (the largest class is always
//     the largest size). K is the smallest number of classes (at most 8)
//     whose waste is at most 1/8 of the requested bytes: more classes cut
//     waste but split the budget into more, smaller stocks, each of which
//     runs out on its own. If one block per class does not fit the
//     budget, K is lowered until it does.
//  3. Give class i a block count proportional to the share of the sample
//     it serves, at least one, scaled up as far as the budget allows
//     (bisection on the scale, with RequiredSize as the exact cost).
//
// So every size in the sample can be allocated from the result, and
// RequiredSize(result) ≤ budget. The result is sequential with Stats off;
// turning on Concurrent or CacheAligned raises RequiredSize, so check it
// again after changing them. Suggest returns an error wrapping
// ErrInvalidSize for an empty sample, a size below 1 or above 1 GiB, and
// ErrInvalidConfig when even one block of the largest size with its
// metadata does not fit the budget (the message says how many bytes that
// needs).
func Suggest(sizes []int, budget int) (Config, error) {
	if len(sizes) == 0 {
		return Config{}, fmt.Errorf("pool: suggest from no sizes: %w", memkit.ErrInvalidSize)
	}
	align, largest := suggestAlign, 0
	for _, s := range sizes {
		if s < 1 || s > 1<<30 {
			return Config{}, fmt.Errorf("pool: suggest for size %d (want 1 to %d): %w", s, 1<<30, memkit.ErrInvalidSize)
		}
		largest = max(largest, s)
	}
	for largest/align > maxLUT/2 {
		align *= 2 // keep the size table within bounds for huge sizes
	}
	hist := map[int]int{}
	for _, s := range sizes {
		hist[roundUp(s, align)]++
	}
	for step := 0; len(hist) > suggestMaxSizes; step++ {
		coarse := map[int]int{}
		for s, n := range hist {
			coarse[roundUp(coarsen(s, 3-min(step, 3)), align)] += n
		}
		hist = coarse
	}
	vals := make([]int, 0, len(hist))
	for s := range hist {
		vals = append(vals, s)
	}
	slices.Sort(vals)
	freq := make([]int, len(vals))
	for i, s := range vals {
		freq[i] = hist[s]
	}
	maxSize := vals[len(vals)-1]
	requested := 0.0
	for i, s := range vals {
		requested += float64(freq[i]) * float64(s)
	}
	kmax := min(suggestMaxClasses, len(vals))
	kWant := kmax
	for k := 1; k < kmax; k++ {
		if _, _, waste := partition(vals, freq, k); waste <= requested/8 {
			kWant = k
			break
		}
	}
	for k := kWant; k >= 1; k-- {
		ends, share, _ := partition(vals, freq, k)
		cfg := Config{Align: align, Classes: make([]Class, k)}
		for i, e := range ends {
			cfg.Classes[i] = Class{Size: vals[e], Count: 1}
		}
		need, err := RequiredSize(cfg)
		if err != nil {
			return Config{}, err
		}
		if need > budget {
			continue
		}
		scale(&cfg, share, budget)
		return cfg, nil
	}
	need, err := RequiredSize(Config{Align: align, Classes: []Class{{maxSize, 1}}})
	if err != nil {
		return Config{}, err
	}
	return Config{}, fmt.Errorf("pool: suggest within %d bytes: one %d-byte block and its metadata need %d: %w",
		budget, maxSize, need, memkit.ErrInvalidConfig)
}

// coarsen rounds s up to a multiple of 2^(e-b), e = floor(log2 s): steps of
// 1/2^b of s's power of two.
func coarsen(s, b int) int {
	e := bits.Len(uint(s)) - 1
	if e <= b {
		return s
	}
	return roundUp(s, 1<<(e-b))
}

// partition splits the sorted sizes into k contiguous groups minimizing
// Σ freq × (group max − size); it returns the index of each group's last
// (largest) size, each group's total frequency, and the total waste.
func partition(vals, freq []int, k int) (ends, share []int, waste float64) {
	n := len(vals)
	// cost(i, j): waste of serving vals[i..j] with vals[j], from prefix
	// sums of freq and freq×size.
	pf, ps := make([]float64, n+1), make([]float64, n+1)
	for i := range n {
		pf[i+1] = pf[i] + float64(freq[i])
		ps[i+1] = ps[i] + float64(freq[i])*float64(vals[i])
	}
	cost := func(i, j int) float64 {
		return float64(vals[j])*(pf[j+1]-pf[i]) - (ps[j+1] - ps[i])
	}
	// best[g][j]: least waste covering vals[0..j] with g+1 groups, the
	// last ending at j; from[g][j] the end of the previous group.
	best := make([][]float64, k)
	from := make([][]int, k)
	for g := range k {
		best[g] = make([]float64, n)
		from[g] = make([]int, n)
		for j := range n {
			best[g][j] = math.Inf(1)
			if g == 0 {
				best[0][j] = cost(0, j)
				from[0][j] = -1
				continue
			}
			for i := g - 1; i < j; i++ {
				if c := best[g-1][i] + cost(i+1, j); c < best[g][j] {
					best[g][j], from[g][j] = c, i
				}
			}
		}
	}
	ends = make([]int, k)
	for g, j := k-1, n-1; g >= 0; g-- {
		ends[g] = j
		j = from[g][j]
	}
	share = make([]int, k)
	lo := 0
	for g, e := range ends {
		share[g] = int(pf[e+1] - pf[lo])
		lo = e + 1
	}
	return ends, share, best[k-1][n-1]
}

// scale sets cfg's counts to max(1, ⌊f × share⌋) for the largest f whose
// RequiredSize fits budget (cfg fits with every count 1 on entry).
func scale(cfg *Config, share []int, budget int) {
	set := func(f float64) bool {
		c := *cfg
		c.Classes = slices.Clone(cfg.Classes)
		for i := range c.Classes {
			n := math.Floor(f * float64(share[i]))
			c.Classes[i].Count = int(max(1, min(n, maxCount)))
		}
		need, err := RequiredSize(c)
		if err != nil || need > budget {
			return false
		}
		*cfg = c
		return true
	}
	lo, hi := 0.0, float64(budget)
	for range 64 {
		mid := (lo + hi) / 2
		if set(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	set(lo)
}
