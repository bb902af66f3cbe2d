// Package peers holds Go models of the designs memkit's allocators are
// measured against where no Go implementation exists: sebbbi's
// OffsetAllocator (OffsetBins) and the TLSF allocator in the layout of
// mattconte's C implementation (TLSF). They are written here from the
// designs' published descriptions, so that the package benchmarks and
// `memkit bench` run the same loops over memkit and over the designs in
// one process, on one machine, instead of setting memkit's figures against
// numbers from other programs.
//
// They keep what makes each design fast and what makes it fall short, and
// nothing else: OffsetBins leaves freed blocks of a size between two bins
// unused, as OffsetAllocator does; TLSF trusts every header and link it
// reads, as the C code does, so a bad Free corrupts it. Neither is meant
// for use outside measurements.
package peers
