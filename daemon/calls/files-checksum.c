/* guestkitd: checksum.
 *
 * The digests are computed here rather than by running md5sum and
 * friends: under emulation an exec costs more than hashing a small file.
 * The algorithms follow RFC 1321 (MD5) and FIPS 180-4 (SHA); the round
 * constants are the ones those documents define.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"

#define BUF_SIZE (256u * 1024)

struct hash;

struct algo {
  const char *name;
  unsigned block;               /* bytes: 64 or 128 */
  unsigned digest;              /* bytes */
  int little_endian;            /* MD5 */
  const void *iv;               /* initial state */
  unsigned ivsize;              /* bytes */
  void (*compress) (struct hash *h, const unsigned char *p, size_t nblocks);
};

struct hash {
  const struct algo *a;
  union { uint32_t w[8]; uint64_t d[8]; } s;
  unsigned char buf[128];
  size_t fill;
  uint64_t len;                 /* bytes so far */
};

static inline uint32_t rol32 (uint32_t x, int n) { return x << n | x >> (32 - n); }
static inline uint32_t ror32 (uint32_t x, int n) { return x >> n | x << (32 - n); }
static inline uint64_t ror64 (uint64_t x, int n) { return x >> n | x << (64 - n); }

static inline uint32_t
le32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
    | (uint32_t) p[3] << 24;
}

static inline uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8
    | (uint32_t) p[3];
}

static inline uint64_t
be64 (const unsigned char *p)
{
  return (uint64_t) be32 (p) << 32 | be32 (p + 4);
}

/* --- MD5 --- */

static const uint32_t md5_iv[4] = {
  0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
};

/* floor (abs (sin (i + 1)) * 2^32) */
static const uint32_t md5_k[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
  0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
  0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
  0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
  0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
  0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
  0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
  0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
  0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

#define MD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))
#define MD5_STEP(f, a, b, c, d, m, k, s) \
  (a) = (b) + rol32 ((a) + f ((b), (c), (d)) + (m) + (k), (s))
/* Steps I to I+3 of round F (fully unrolled: I is a constant).  Step j
 * of a round uses message word (MUL * j + ADD) mod 16 and the shifts
 * S0 to S3 in turn. */
#define MD5_FOUR(f, i, mul, add, s0, s1, s2, s3) \
  do { \
    MD5_STEP (f, a, b, c, d, m[((mul) * (i) + (add)) & 15], md5_k[i], s0); \
    MD5_STEP (f, d, a, b, c, m[((mul) * ((i) + 1) + (add)) & 15], \
              md5_k[(i) + 1], s1); \
    MD5_STEP (f, c, d, a, b, m[((mul) * ((i) + 2) + (add)) & 15], \
              md5_k[(i) + 2], s2); \
    MD5_STEP (f, b, c, d, a, m[((mul) * ((i) + 3) + (add)) & 15], \
              md5_k[(i) + 3], s3); \
  } while (0)
#define MD5_ROUND(f, i, mul, add, s0, s1, s2, s3) \
  do { \
    MD5_FOUR (f, (i), mul, add, s0, s1, s2, s3); \
    MD5_FOUR (f, (i) + 4, mul, add, s0, s1, s2, s3); \
    MD5_FOUR (f, (i) + 8, mul, add, s0, s1, s2, s3); \
    MD5_FOUR (f, (i) + 12, mul, add, s0, s1, s2, s3); \
  } while (0)

static void
md5_compress (struct hash *h, const unsigned char *p, size_t nblocks)
{
  uint32_t *s = h->s.w;
  for (; nblocks > 0; nblocks--, p += 64) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = le32 (p + 4 * i);
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3];
    MD5_ROUND (MD5_F, 0, 1, 0, 7, 12, 17, 22);
    MD5_ROUND (MD5_G, 16, 5, 1, 5, 9, 14, 20);
    MD5_ROUND (MD5_H, 32, 3, 5, 4, 11, 16, 23);
    MD5_ROUND (MD5_I, 48, 7, 0, 6, 10, 15, 21);
    s[0] += a; s[1] += b; s[2] += c; s[3] += d;
  }
}

/* --- SHA-1 --- */

static const uint32_t sha1_iv[5] = {
  0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
};

/* The rounds are fully unrolled (I is a constant) and the message
 * schedule is computed as it is used, in 16 words. */
#define SHA1_W(i) \
  ((i) < 16 ? w[(i) & 15] \
   : (w[(i) & 15] = rol32 (w[((i) - 3) & 15] ^ w[((i) - 8) & 15] \
                           ^ w[((i) - 14) & 15] ^ w[(i) & 15], 1)))
/* One round; the caller rotates the names instead of moving values. */
#define SHA1_STEP(f, k, a, b, c, d, e, i) \
  do { \
    (e) += rol32 ((a), 5) + f ((b), (c), (d)) + (k) + SHA1_W (i); \
    (b) = rol32 ((b), 30); \
  } while (0)
#define SHA1_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define SHA1_PAR(x, y, z) ((x) ^ (y) ^ (z))
#define SHA1_MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define SHA1_FIVE(f, k, i) \
  do { \
    SHA1_STEP (f, k, a, b, c, d, e, (i)); \
    SHA1_STEP (f, k, e, a, b, c, d, (i) + 1); \
    SHA1_STEP (f, k, d, e, a, b, c, (i) + 2); \
    SHA1_STEP (f, k, c, d, e, a, b, (i) + 3); \
    SHA1_STEP (f, k, b, c, d, e, a, (i) + 4); \
  } while (0)
#define SHA1_TWENTY(f, k, i) \
  do { \
    SHA1_FIVE (f, k, (i)); \
    SHA1_FIVE (f, k, (i) + 5); \
    SHA1_FIVE (f, k, (i) + 10); \
    SHA1_FIVE (f, k, (i) + 15); \
  } while (0)

static void
sha1_compress (struct hash *h, const unsigned char *p, size_t nblocks)
{
  uint32_t *s = h->s.w;
  for (; nblocks > 0; nblocks--, p += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; i++) w[i] = be32 (p + 4 * i);
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
    SHA1_TWENTY (SHA1_CH, 0x5a827999, 0);
    SHA1_TWENTY (SHA1_PAR, 0x6ed9eba1, 20);
    SHA1_TWENTY (SHA1_MAJ, 0x8f1bbcdc, 40);
    SHA1_TWENTY (SHA1_PAR, 0xca62c1d6, 60);
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e;
  }
}

/* --- SHA-224 and SHA-256 --- */

/* Fractional parts of the cube roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
  0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Square roots of the first 8 primes. */
static const uint32_t sha256_iv[8] = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Second 32 bits of the square roots of the 9th to 16th primes. */
static const uint32_t sha224_iv[8] = {
  0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
  0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4,
};

#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define S256_0(x) (ror32 ((x), 2) ^ ror32 ((x), 13) ^ ror32 ((x), 22))
#define S256_1(x) (ror32 ((x), 6) ^ ror32 ((x), 11) ^ ror32 ((x), 25))
#define s256_0(x) (ror32 ((x), 7) ^ ror32 ((x), 18) ^ ((x) >> 3))
#define s256_1(x) (ror32 ((x), 17) ^ ror32 ((x), 19) ^ ((x) >> 10))

/* The message schedule of SHA-2, computed as it is used, in 16 words;
 * s0 and s1 are the small sigma functions of the variant. */
#define SHA2_W(s0, s1, i) \
  ((i) < 16 ? w[(i) & 15] \
   : (w[(i) & 15] += s1 (w[((i) - 2) & 15]) + w[((i) - 7) & 15] \
      + s0 (w[((i) - 15) & 15])))
/* One round of SHA-2, fully unrolled (I is a constant): D and H are
 * updated, the caller rotates the names instead of moving values. */
#define SHA2_STEP(S0, S1, s0, s1, K, a, b, c, d, e, f, g, h, i) \
  do { \
    t1 = (h) + S1 (e) + CH ((e), (f), (g)) + K[i] + SHA2_W (s0, s1, i); \
    (d) += t1; \
    (h) = t1 + S0 (a) + MAJ ((a), (b), (c)); \
  } while (0)
#define SHA2_EIGHT(S0, S1, s0, s1, K, i) \
  do { \
    SHA2_STEP (S0, S1, s0, s1, K, a, b, c, d, e, f, g, h, (i)); \
    SHA2_STEP (S0, S1, s0, s1, K, h, a, b, c, d, e, f, g, (i) + 1); \
    SHA2_STEP (S0, S1, s0, s1, K, g, h, a, b, c, d, e, f, (i) + 2); \
    SHA2_STEP (S0, S1, s0, s1, K, f, g, h, a, b, c, d, e, (i) + 3); \
    SHA2_STEP (S0, S1, s0, s1, K, e, f, g, h, a, b, c, d, (i) + 4); \
    SHA2_STEP (S0, S1, s0, s1, K, d, e, f, g, h, a, b, c, (i) + 5); \
    SHA2_STEP (S0, S1, s0, s1, K, c, d, e, f, g, h, a, b, (i) + 6); \
    SHA2_STEP (S0, S1, s0, s1, K, b, c, d, e, f, g, h, a, (i) + 7); \
  } while (0)
#define SHA256_ROUNDS \
  do { \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 0); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 8); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 16); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 24); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 32); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 40); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 48); \
    SHA2_EIGHT (S256_0, S256_1, s256_0, s256_1, sha256_k, 56); \
  } while (0)

static void
sha256_compress (struct hash *hs, const unsigned char *p, size_t nblocks)
{
  uint32_t *s = hs->s.w;
  for (; nblocks > 0; nblocks--, p += 64) {
    uint32_t w[16], t1;
    for (int i = 0; i < 16; i++) w[i] = be32 (p + 4 * i);
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3];
    uint32_t e = s[4], f = s[5], g = s[6], h = s[7];
    SHA256_ROUNDS;
    s[0] += a; s[1] += b; s[2] += c; s[3] += d;
    s[4] += e; s[5] += f; s[6] += g; s[7] += h;
  }
}

/* --- SHA-384 and SHA-512 --- */

/* Fractional parts of the cube roots of the first 80 primes. */
static const uint64_t sha512_k[80] = {
  UINT64_C (0x428a2f98d728ae22), UINT64_C (0x7137449123ef65cd),
  UINT64_C (0xb5c0fbcfec4d3b2f), UINT64_C (0xe9b5dba58189dbbc),
  UINT64_C (0x3956c25bf348b538), UINT64_C (0x59f111f1b605d019),
  UINT64_C (0x923f82a4af194f9b), UINT64_C (0xab1c5ed5da6d8118),
  UINT64_C (0xd807aa98a3030242), UINT64_C (0x12835b0145706fbe),
  UINT64_C (0x243185be4ee4b28c), UINT64_C (0x550c7dc3d5ffb4e2),
  UINT64_C (0x72be5d74f27b896f), UINT64_C (0x80deb1fe3b1696b1),
  UINT64_C (0x9bdc06a725c71235), UINT64_C (0xc19bf174cf692694),
  UINT64_C (0xe49b69c19ef14ad2), UINT64_C (0xefbe4786384f25e3),
  UINT64_C (0x0fc19dc68b8cd5b5), UINT64_C (0x240ca1cc77ac9c65),
  UINT64_C (0x2de92c6f592b0275), UINT64_C (0x4a7484aa6ea6e483),
  UINT64_C (0x5cb0a9dcbd41fbd4), UINT64_C (0x76f988da831153b5),
  UINT64_C (0x983e5152ee66dfab), UINT64_C (0xa831c66d2db43210),
  UINT64_C (0xb00327c898fb213f), UINT64_C (0xbf597fc7beef0ee4),
  UINT64_C (0xc6e00bf33da88fc2), UINT64_C (0xd5a79147930aa725),
  UINT64_C (0x06ca6351e003826f), UINT64_C (0x142929670a0e6e70),
  UINT64_C (0x27b70a8546d22ffc), UINT64_C (0x2e1b21385c26c926),
  UINT64_C (0x4d2c6dfc5ac42aed), UINT64_C (0x53380d139d95b3df),
  UINT64_C (0x650a73548baf63de), UINT64_C (0x766a0abb3c77b2a8),
  UINT64_C (0x81c2c92e47edaee6), UINT64_C (0x92722c851482353b),
  UINT64_C (0xa2bfe8a14cf10364), UINT64_C (0xa81a664bbc423001),
  UINT64_C (0xc24b8b70d0f89791), UINT64_C (0xc76c51a30654be30),
  UINT64_C (0xd192e819d6ef5218), UINT64_C (0xd69906245565a910),
  UINT64_C (0xf40e35855771202a), UINT64_C (0x106aa07032bbd1b8),
  UINT64_C (0x19a4c116b8d2d0c8), UINT64_C (0x1e376c085141ab53),
  UINT64_C (0x2748774cdf8eeb99), UINT64_C (0x34b0bcb5e19b48a8),
  UINT64_C (0x391c0cb3c5c95a63), UINT64_C (0x4ed8aa4ae3418acb),
  UINT64_C (0x5b9cca4f7763e373), UINT64_C (0x682e6ff3d6b2b8a3),
  UINT64_C (0x748f82ee5defb2fc), UINT64_C (0x78a5636f43172f60),
  UINT64_C (0x84c87814a1f0ab72), UINT64_C (0x8cc702081a6439ec),
  UINT64_C (0x90befffa23631e28), UINT64_C (0xa4506cebde82bde9),
  UINT64_C (0xbef9a3f7b2c67915), UINT64_C (0xc67178f2e372532b),
  UINT64_C (0xca273eceea26619c), UINT64_C (0xd186b8c721c0c207),
  UINT64_C (0xeada7dd6cde0eb1e), UINT64_C (0xf57d4f7fee6ed178),
  UINT64_C (0x06f067aa72176fba), UINT64_C (0x0a637dc5a2c898a6),
  UINT64_C (0x113f9804bef90dae), UINT64_C (0x1b710b35131c471b),
  UINT64_C (0x28db77f523047d84), UINT64_C (0x32caab7b40c72493),
  UINT64_C (0x3c9ebe0a15c9bebc), UINT64_C (0x431d67c49c100d4c),
  UINT64_C (0x4cc5d4becb3e42b6), UINT64_C (0x597f299cfc657e2a),
  UINT64_C (0x5fcb6fab3ad6faec), UINT64_C (0x6c44198c4a475817),
};

/* Square roots of the first 8 primes. */
static const uint64_t sha512_iv[8] = {
  UINT64_C (0x6a09e667f3bcc908), UINT64_C (0xbb67ae8584caa73b),
  UINT64_C (0x3c6ef372fe94f82b), UINT64_C (0xa54ff53a5f1d36f1),
  UINT64_C (0x510e527fade682d1), UINT64_C (0x9b05688c2b3e6c1f),
  UINT64_C (0x1f83d9abfb41bd6b), UINT64_C (0x5be0cd19137e2179),
};

/* Square roots of the 9th to 16th primes. */
static const uint64_t sha384_iv[8] = {
  UINT64_C (0xcbbb9d5dc1059ed8), UINT64_C (0x629a292a367cd507),
  UINT64_C (0x9159015a3070dd17), UINT64_C (0x152fecd8f70e5939),
  UINT64_C (0x67332667ffc00b31), UINT64_C (0x8eb44a8768581511),
  UINT64_C (0xdb0c2e0d64f98fa7), UINT64_C (0x47b5481dbefa4fa4),
};

#define S512_0(x) (ror64 ((x), 28) ^ ror64 ((x), 34) ^ ror64 ((x), 39))
#define S512_1(x) (ror64 ((x), 14) ^ ror64 ((x), 18) ^ ror64 ((x), 41))
#define s512_0(x) (ror64 ((x), 1) ^ ror64 ((x), 8) ^ ((x) >> 7))
#define s512_1(x) (ror64 ((x), 19) ^ ror64 ((x), 61) ^ ((x) >> 6))

static void
sha512_compress (struct hash *hs, const unsigned char *p, size_t nblocks)
{
  uint64_t *s = hs->s.d;
  for (; nblocks > 0; nblocks--, p += 128) {
    uint64_t w[16], t1;
    for (int i = 0; i < 16; i++) w[i] = be64 (p + 8 * i);
    uint64_t a = s[0], b = s[1], c = s[2], d = s[3];
    uint64_t e = s[4], f = s[5], g = s[6], h = s[7];
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 0);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 8);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 16);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 24);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 32);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 40);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 48);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 56);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 64);
    SHA2_EIGHT (S512_0, S512_1, s512_0, s512_1, sha512_k, 72);
    s[0] += a; s[1] += b; s[2] += c; s[3] += d;
    s[4] += e; s[5] += f; s[6] += g; s[7] += h;
  }
}

/* --- the generic part --- */

static const struct algo algos[] = {
  { "md5", 64, 16, 1, md5_iv, sizeof md5_iv, md5_compress },
  { "sha1", 64, 20, 0, sha1_iv, sizeof sha1_iv, sha1_compress },
  { "sha224", 64, 28, 0, sha224_iv, sizeof sha224_iv, sha256_compress },
  { "sha256", 64, 32, 0, sha256_iv, sizeof sha256_iv, sha256_compress },
  { "sha384", 128, 48, 0, sha384_iv, sizeof sha384_iv, sha512_compress },
  { "sha512", 128, 64, 0, sha512_iv, sizeof sha512_iv, sha512_compress },
  { NULL, 0, 0, 0, NULL, 0, NULL }
};

static void
hash_init (struct hash *h, const struct algo *a)
{
  memset (h, 0, sizeof *h);
  h->a = a;
  memcpy (&h->s, a->iv, a->ivsize);
}

static void
hash_update (struct hash *h, const unsigned char *p, size_t n)
{
  size_t bs = h->a->block;
  h->len += n;
  if (h->fill > 0) {
    size_t k = bs - h->fill < n ? bs - h->fill : n;
    memcpy (h->buf + h->fill, p, k);
    h->fill += k;
    p += k;
    n -= k;
    if (h->fill < bs) return;
    h->a->compress (h, h->buf, 1);
    h->fill = 0;
  }
  if (n >= bs) {
    h->a->compress (h, p, n / bs);
    p += n / bs * bs;
    n %= bs;
  }
  memcpy (h->buf, p, n);
  h->fill = n;
}

/* Pad, then write the digest in hex into HEX (2 * digest + 1 bytes). */
static void
hash_final (struct hash *h, char *hex)
{
  const struct algo *a = h->a;
  unsigned char tail[128 + 16 + 1];
  size_t bs = a->block, lenbytes = bs == 128 ? 16 : 8;
  uint64_t bits = h->len << 3, hibits = h->len >> 61;
  size_t zeros = (bs - (h->fill + 1 + lenbytes) % bs) % bs;
  size_t n = 0;

  tail[n++] = 0x80;
  memset (tail + n, 0, zeros);
  n += zeros;
  if (lenbytes == 16)
    for (int i = 7; i >= 0; i--) tail[n++] = (unsigned char) (hibits >> (8 * i));
  for (int i = 0; i < 8; i++)
    tail[n + (a->little_endian ? (size_t) i : 7 - (size_t) i)]
      = (unsigned char) (bits >> (8 * i));
  n += 8;
  hash_update (h, tail, n);

  unsigned char out[64];
  for (unsigned i = 0; i < a->digest; i++) {
    if (a->little_endian)
      out[i] = (unsigned char) (h->s.w[i / 4] >> (8 * (i % 4)));
    else if (bs == 128)
      out[i] = (unsigned char) (h->s.d[i / 8] >> (8 * (7 - i % 8)));
    else
      out[i] = (unsigned char) (h->s.w[i / 4] >> (8 * (3 - i % 4)));
  }
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < a->digest; i++) {
    hex[2 * i] = digits[out[i] >> 4];
    hex[2 * i + 1] = digits[out[i] & 15];
  }
  hex[2 * a->digest] = '\0';
}

char *
do_checksum (const char *csumtype, const char *path)
{
  const struct algo *a;
  for (a = algos; a->name; a++)
    if (strcasecmp (a->name, csumtype) == 0) break;
  if (!a->name) {
    gk_int_err (EINVAL, "%s: unknown checksum type (use one of md5, sha1, "
                "sha224, sha256, sha384, sha512)", csumtype);
    return NULL;
  }

  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1)
    return NULL;
  char *hex = NULL, *buf = NULL;
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  buf = malloc (BUF_SIZE);
  hex = malloc (2 * 64 + 1);
  if (!buf || !hex) {
    gk_int_err (ENOMEM, "out of memory");
    goto fail;
  }
  struct hash h;
  hash_init (&h, a);
  for (;;) {
    ssize_t n = read (fd, buf, BUF_SIZE);
    if (n == 0) break;
    if (n == -1) {
      if (errno == EINTR) continue;
      gk_int_perr ("%s", path);
      goto fail;
    }
    hash_update (&h, (const unsigned char *) buf, (size_t) n);
  }
  hash_final (&h, hex);
  goto out;

 fail:
  free (hex);
  hex = NULL;
 out:
  free (buf);
  close (fd);
  return hex;
}
