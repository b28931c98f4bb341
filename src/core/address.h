/* address — 20-byte EVM addresses: parsing in any case with EIP-55 checksum verification when
 * the input is mixed-case, and checksummed formatting. */
#ifndef LAMDA_ADDRESS_H
#define LAMDA_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#define ADDRESS_STR_LEN 43 /* "0x" + 40 digits + NUL */

enum { ADDRESS_OK = 0, ADDRESS_MALFORMED = -1, ADDRESS_BAD_CHECKSUM = -2 };

/* Parse "0x…" (prefix required) of exactly 40 hex digits. All-lower or all-upper input is
 * accepted as is; mixed case must carry a valid EIP-55 checksum. */
int address_parse(const char *s, size_t len, uint8_t out[20]);
/* Format as EIP-55 checksummed "0x…" into out[ADDRESS_STR_LEN]. Returns out. */
char *address_format(const uint8_t addr[20], char out[ADDRESS_STR_LEN]);
/* Lowercase "0x…" form (for database keys and JSON where case must not matter). */
char *address_format_lower(const uint8_t addr[20], char out[ADDRESS_STR_LEN]);

#endif
