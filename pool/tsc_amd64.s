// The operation clock's read and the CPUID leaf that says whether the TSC is invariant.

//go:build !purego

#include "textflag.h"

// func now() int64
//
// One call, no Go frame: RDTSC when useTSC is set, otherwise a tail jump
// to monoNow, which returns its result in this frame's result slot.
TEXT ·now(SB),NOSPLIT,$0-8
	CMPB	·useTSC(SB), $0
	JEQ	mono
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET
mono:
	JMP	·monoNow(SB)

// func cpuid(leaf uint32) (eax, edx uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-16
	MOVL	leaf+0(FP), AX
	XORL	CX, CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	DX, edx+12(FP)
	RET

// func nowFenced() int64
//
// LFENCE does not let the RDTSC start before every earlier instruction
// has completed (it is dispatch-serializing on AMD and Intel alike).
TEXT ·nowFenced(SB),NOSPLIT,$0-8
	CMPB	·useTSC(SB), $0
	JEQ	mono
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET
mono:
	JMP	·monoNow(SB)
