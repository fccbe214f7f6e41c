/* simdcheck SECONDS: runs register-only SSE2 (and AVX2 where present) loops
 * whose results are known, for SECONDS, and prints how many runs came out
 * wrong. Preemption in the middle of a loop must not change its registers:
 * this catches a hypervisor (or emulator) that loses a process's FPU/SIMD
 * state across vCPU switches, which shows up elsewhere as random crashes. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LOOP 2000000u

__attribute__((target("sse2"), noinline)) static int run_sse2(unsigned seed)
{
	__m128i a = _mm_set1_epi32((int)seed), one = _mm_set1_epi32(1);
	__m128i d = _mm_setzero_si128(), three = _mm_set1_epi32(3);

	for (unsigned i = 0; i < LOOP; i++) {
		a = _mm_add_epi32(a, one);
		d = _mm_add_epi32(d, three);
		__asm__ volatile("" : "+x"(a), "+x"(d)); /* keep both in registers */
	}
	a = _mm_cmpeq_epi32(a, _mm_set1_epi32((int)(seed + LOOP)));
	d = _mm_cmpeq_epi32(d, _mm_set1_epi32((int)(3u * LOOP)));
	return _mm_movemask_epi8(_mm_and_si128(a, d)) != 0xffff;
}

__attribute__((target("avx2"), noinline)) static int run_avx2(unsigned seed)
{
	__m256i a = _mm256_set1_epi32((int)seed), one = _mm256_set1_epi32(1);
	__m256i d = _mm256_setzero_si256(), three = _mm256_set1_epi32(3);

	for (unsigned i = 0; i < LOOP; i++) {
		a = _mm256_add_epi32(a, one);
		d = _mm256_add_epi32(d, three);
		__asm__ volatile("" : "+x"(a), "+x"(d));
	}
	a = _mm256_cmpeq_epi32(a, _mm256_set1_epi32((int)(seed + LOOP)));
	d = _mm256_cmpeq_epi32(d, _mm256_set1_epi32((int)(3u * LOOP)));
	return _mm256_movemask_epi8(_mm256_and_si256(a, d)) != -1;
}

int main(int argc, char **argv)
{
	long secs = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	int avx2 = __builtin_cpu_supports("avx2");
	unsigned long runs = 0, bad = 0;
	time_t end = time(NULL) + secs;

	while (time(NULL) < end) {
		unsigned seed = (unsigned)runs * 7919u;

		bad += (unsigned long)(avx2 && (runs & 1) ? run_avx2(seed) : run_sse2(seed));
		runs++;
	}
	printf("%lu runs (%s), %lu wrong\n", runs, avx2 ? "sse2+avx2" : "sse2", bad);
	return bad ? 1 : 0;
}
