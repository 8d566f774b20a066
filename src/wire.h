/* wire.h: wire patterns, the `wire =` key of a scenario. A pattern is a
 * small regular language over a case's teardown segments, one token per
 * segment ("C>S F."); it is compiled once and matched whole against the
 * segments from the first FIN or RST to the end. */
#ifndef TEARDOWND_WIRE_H
#define TEARDOWND_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct wire;

/* Compiles text. On a malformed pattern returns NULL with a message that
 * names the offending word in err ("wire: 'C>X' is not a direction ...")
 * and the byte offset of that word in *errpos (for the line of a pattern
 * written over several lines). */
struct wire *wire_compile(const char *text, char *err, size_t errlen,
    size_t *errpos);
/* Frees a compiled pattern (NULL is fine). */
void wire_free(struct wire *w);

/* Whether the n segments, all of them, match w. */
int wire_match(const struct wire *w, const struct segment *seg, size_t n);

/* The index of the first segment carrying FIN or RST; n when none does:
 * seg + wire_teardown(seg, n) is the part a pattern is matched against. */
size_t wire_teardown(const struct segment *seg, size_t n);

/* tcpdump's flag letters ("F.", "R", "FP.") as TCPF_* bits: 0, or -1 when
 * word is not exactly what tcpdump prints for some flags. */
int wire_flags_parse(const char *word, uint8_t *flags);

/* Writes the n segments as tokens, "C>S F. ; S>C .", into buf; a list
 * that does not fit ends in "...". Returns the tokens written. */
size_t wire_format(const struct segment *seg, size_t n, char *buf,
    size_t len);

#endif
