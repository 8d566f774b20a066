# teardownd: a plain Makefile. `make run` and `make check` install what is
# missing (Debian packages), build, and run the catalogue or the tests.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/teardownd
DESTDIR ?=

VERSION := 0.1.0
CC      ?= cc
PKGS    := libevent inih sqlite3 libpcap
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
ifneq ($(CI),)
WARN    += -Werror
endif
B       := build
PKGCFG   = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TD_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -DTEARDOWND_VERSION='"$(VERSION)"' -Isrc -I$(B) $(PKGCFG) $(CFLAGS)
TD_LIBS   = $(PKGLIBS) $(LDLIBS)

MAINS    := src/teardownd.c src/teardownctl.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/%.o) $(B)/catalog_embed.o $(B)/schema_sql.o
HDRS     := $(wildcard src/*.h)
SCEN     := $(sort $(wildcard etc/scenarios/*.ini))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/%)

# Debian packages for building and testing; installed when missing.
APT_PKGS := gcc make pkg-config libevent-dev libinih-dev libsqlite3-dev \
            libpcap-dev libcmocka-dev sqlite3 iproute2 jq

.PHONY: all deps run check check-asan unit e2e clean install uninstall

all: deps $(B)/teardownd $(B)/teardownctl

# Installs missing build and test dependencies (needs root and apt-get).
deps:
	@missing=""; for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make: run as root to install:$$missing" >&2; exit 1; fi; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| { echo "make: apt-get install$$missing failed" >&2; exit 1; }; \
	fi

$(B):
	@mkdir -p $(B)

$(B)/%.o: src/%.c $(HDRS) | $(B)
	$(CC) $(TD_CFLAGS) -c -o $@ $<

# The built-in catalogue, embedded as C strings (file name, text).
$(B)/catalog_embed.c: $(SCEN) tests/embed.awk | $(B)
	awk -f tests/embed.awk $(SCEN) < /dev/null > $@

$(B)/catalog_embed.o: $(B)/catalog_embed.c
	$(CC) $(TD_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# The schema, embedded as C strings: one per numbered migration step.
$(B)/schema_sql.c: src/schema.sql tests/embed_sql.awk | $(B)
	awk -f tests/embed_sql.awk src/schema.sql > $@.tmp && mv $@.tmp $@

$(B)/schema_sql.o: $(B)/schema_sql.c
	$(CC) $(TD_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(B)/libtd.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/teardownd: $(B)/teardownd.o $(B)/libtd.a
	$(CC) $(TD_CFLAGS) -o $@ $^ $(TD_LIBS)

$(B)/teardownctl: $(B)/teardownctl.o $(B)/libtd.a
	$(CC) $(TD_CFLAGS) -o $@ $^ $(TD_LIBS)

$(B)/test_%: tests/unit/test_%.c $(B)/libtd.a tests/unit/testutil.h
	$(CC) $(TD_CFLAGS) -Itests/unit -o $@ $< $(B)/libtd.a $(TD_LIBS) -lcmocka

# Runs the built-in catalogue once on the embedded default and prints it.
run: all
	@./$(B)/teardownd --once --db ./teardownd.db; rc=$$?; \
	echo "stored in ./teardownd.db; step by step: ./$(B)/teardownctl show last/SCENARIO/ipv4"; \
	exit $$rc

# Every test: unit (cmocka), broken-input corpus, end-to-end on loopback.
check: all $(UNIT_BINS)
	@sh tests/run.sh $(B)

# The same suite under AddressSanitizer and UBSan, in build-asan/.
check-asan: deps
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" check

unit: all $(UNIT_BINS)
	@for t in $(UNIT_BINS); do ./$$t || exit 1; done

clean:
	rm -rf build build-asan

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/scenarios
	install -m 755 $(B)/teardownd $(DESTDIR)$(SBINDIR)/teardownd
	install -m 755 $(B)/teardownctl $(DESTDIR)$(BINDIR)/teardownctl
	install -m 644 $(SCEN) $(DESTDIR)$(DATADIR)/scenarios/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/teardownd $(DESTDIR)$(BINDIR)/teardownctl
	rm -rf $(DESTDIR)$(DATADIR)
