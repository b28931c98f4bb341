/* txmgr's pure parts: EIP-1559 fee choice with the cap, the ≥ 12.5 % replacement bump, and
 * revert reason decoding. The chain-facing parts are proven by the reputation integration
 * tests on anvil. */
#include <string.h>

#include "chain/txmgr.h"
#include "core/hex.h"
#include "test.h"

static u256 U(uint64_t v) { return u256_from_u64(v); }
static uint64_t V(const u256 *a) {
    uint64_t v = 0;
    u256_to_u64(a, &v);
    return v;
}

TEST(fees_1559) {
    u256 mf, tip, zero = U(0);
    u256 base = U(1000), t = U(100), cap = U(1500);
    txmgr_fees_1559(&base, &t, &zero, &mf, &tip);
    CHECK_EQ_INT(V(&mf), 2100); /* 2*base + tip, no cap */
    CHECK_EQ_INT(V(&tip), 100);
    txmgr_fees_1559(&base, &t, &cap, &mf, &tip);
    CHECK_EQ_INT(V(&mf), 1500); /* capped */
    CHECK_EQ_INT(V(&tip), 100);
    u256 big_tip = U(5000);
    txmgr_fees_1559(&base, &big_tip, &cap, &mf, &tip);
    CHECK_EQ_INT(V(&mf), 1500);
    CHECK_EQ_INT(V(&tip), 1500); /* the tip never exceeds the max fee */
}

TEST(bump) {
    u256 out, zero = U(0);
    u256 old = U(1000), want = U(0);
    CHECK_EQ_INT(txmgr_bump(&old, &want, &zero, &out), 0);
    CHECK_EQ_INT(V(&out), 1125); /* exactly +12.5 % */
    old = U(1001);
    CHECK_EQ_INT(txmgr_bump(&old, &want, &zero, &out), 0);
    CHECK_EQ_INT(V(&out), 1127); /* rounded up: 1001 + ceil(125.125) */
    old = U(0);
    CHECK_EQ_INT(txmgr_bump(&old, &want, &zero, &out), 0);
    CHECK_EQ_INT(V(&out), 1); /* strictly above the old value */
    old = U(1000);
    want = U(5000);
    CHECK_EQ_INT(txmgr_bump(&old, &want, &zero, &out), 0);
    CHECK_EQ_INT(V(&out), 5000); /* the market price when higher */
    u256 cap = U(3000);
    CHECK_EQ_INT(txmgr_bump(&old, &want, &cap, &out), 0);
    CHECK_EQ_INT(V(&out), 3000); /* capped, still a valid bump */
    cap = U(1100);
    CHECK_EQ_INT(txmgr_bump(&old, &want, &cap, &out), -1); /* no room under the cap */
    /* every bump is at least 12.5 % over a range of values */
    for (uint64_t v = 1; v < 5000; v += 7) {
        old = U(v);
        want = U(0);
        CHECK_EQ_INT(txmgr_bump(&old, &want, &zero, &out), 0);
        CHECK(V(&out) * 8 >= v * 9);
    }
}

TEST(revert_reasons) {
    char why[200];
    uint8_t buf[256];
    /* Error(string) "nope" */
    long n = hex_decode("0x08c379a0"
                        "0000000000000000000000000000000000000000000000000000000000000020"
                        "0000000000000000000000000000000000000000000000000000000000000004"
                        "6e6f706500000000000000000000000000000000000000000000000000000000",
                        2 + 8 + 64 * 3, buf, sizeof buf);
    CHECK(n == 100);
    txmgr_revert_reason(buf, (size_t)n, why, sizeof why);
    CHECK_EQ_STR(why, "nope");
    /* OwnableUnauthorizedAccount(0x70997970C51812dc3A010C7d01b50e0d17dc79C8) */
    n = hex_decode("0x118cdaa7"
                   "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8",
                   2 + 8 + 64, buf, sizeof buf);
    CHECK(n == 36);
    txmgr_revert_reason(buf, (size_t)n, why, sizeof why);
    CHECK_EQ_STR(why, "OwnableUnauthorizedAccount(0x70997970C51812dc3A010C7d01b50e0d17dc79C8)");
    /* Panic(0x11) */
    n = hex_decode("0x4e487b71"
                   "0000000000000000000000000000000000000000000000000000000000000011",
                   2 + 8 + 64, buf, sizeof buf);
    txmgr_revert_reason(buf, (size_t)n, why, sizeof why);
    CHECK_EQ_STR(why, "Panic(17)");
    /* unknown selector, truncated Error(string), nothing */
    n = hex_decode("0xdeadbeef", 10, buf, sizeof buf);
    txmgr_revert_reason(buf, (size_t)n, why, sizeof why);
    CHECK_EQ_STR(why, "custom error 0xdeadbeef");
    n = hex_decode("0x08c379a000000000", 18, buf, sizeof buf);
    txmgr_revert_reason(buf, (size_t)n, why, sizeof why);
    CHECK_EQ_STR(why, "custom error 0x08c379a0");
    txmgr_revert_reason(NULL, 0, why, sizeof why);
    CHECK_EQ_STR(why, "execution reverted without a reason");
}

int main(void) {
    RUN(fees_1559);
    RUN(bump);
    RUN(revert_reasons);
    TEST_EXIT();
}
