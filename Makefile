# teardownd: a plain Makefile. `make run` and `make check` install what is
# missing (Debian packages, as root), build, and run the catalogue or the
# tests; `make` and `make install` only build and copy: they need the build
# libraries present, and no root.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/teardownd
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# systemd reads units and sysusers.d from /usr/local/lib too; with
# PREFIX=/usr they land in /usr/lib.
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# bash-completion looks there (for /usr/local too, through XDG_DATA_DIRS).
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

VERSION := 0.1.0
CC      ?= cc
PKGS    := libevent inih sqlite3 libpcap libbpf
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
ifneq ($(CI),)
WARN    += -Werror
endif
B       := build
PKGCFG   = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TD_CFLAGS = -std=gnu11 -pthread -D_GNU_SOURCE $(WARN) -DTEARDOWND_VERSION='"$(VERSION)"' -Isrc -I$(B) $(PKGCFG) $(CFLAGS)
TD_LIBS   = $(PKGLIBS) -pthread $(LDLIBS)
# The BPF program of src/trans.c: clang for the BPF target, with BTF (-g)
# for libbpf's CO-RE relocations; <asm/types.h> from the multiarch path.
BPF_CC  ?= clang
BPF_CFLAGS := -target bpf -O2 -g -Wall -Isrc \
           -I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)

MAINS    := src/teardownd.c src/teardownctl.c
LIB_SRCS := $(filter-out $(MAINS) src/%.bpf.c,$(wildcard src/*.c))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/%.o) $(B)/catalog_embed.o $(B)/schema_sql.o \
            $(B)/trans_bpf_embed.o
HDRS     := $(wildcard src/*.h)
SCEN     := $(sort $(wildcard etc/scenarios/*.ini))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/%)
UNITS    := systemd/teardownd.service systemd/teardownd-check.service \
            systemd/teardownd-check.timer
MANS     := etc/man/teardownd.8 etc/man/teardownctl.1 etc/man/teardownd.ini.5
# The installed configuration: etc/teardownd.ini with the database in the
# service's state directory and user scenarios in scenarios.d beside it.
SITE_SED := -e 's|^\#database = ./teardownd.db$$|\# make install: the state directory of teardownd.service\ndatabase = /var/lib/teardownd/teardownd.db|' \
            -e 's|^\#scenarios =$$|\# make install: $(SYSCONFDIR)/teardownd/scenarios.d\nscenarios = scenarios.d|'

# Debian packages: for building, and for testing (make run and make check
# install both when missing).
BUILD_PKGS := gcc make pkg-config libevent-dev libinih-dev libsqlite3-dev \
            libpcap-dev libbpf-dev clang
TEST_PKGS := libcmocka-dev sqlite3 iproute2 jq libxml2-utils \
            tshark tcpdump perl groff-base man-db bc time qemu-system-x86 \
            debootstrap cpio prometheus chromium python3-jsonschema
APT_PKGS := $(BUILD_PKGS) $(TEST_PKGS)

.PHONY: all build-deps deps run check check-vm check-asan unit e2e clean install uninstall bench soak

all: build-deps $(B)/teardownd $(B)/teardownctl

# Says what the build lacks, and how to get it (no install): a C compiler,
# clang for the BPF program, the libraries pkg-config knows. After deps
# when a goal installs them, so that make -j does not build before.
DEPS_FIRST := $(if $(filter run check check-vm bench soak unit,$(MAKECMDGOALS)),deps)
build-deps: | $(DEPS_FIRST)
	@command -v $(CC) > /dev/null || { echo "make: no C compiler '$(CC)' (Debian: make deps as root, or apt-get install gcc)" >&2; exit 1; }; \
	command -v $(BPF_CC) > /dev/null || { echo "make: no '$(BPF_CC)' for the BPF program (Debian: make deps as root, or apt-get install clang)" >&2; exit 1; }; \
	command -v pkg-config > /dev/null && pkg-config --exists $(PKGS) || { \
		echo "make: missing libraries: $(PKGS) through pkg-config (Debian: make deps as root, or apt-get install pkg-config libevent-dev libinih-dev libsqlite3-dev libpcap-dev libbpf-dev)" >&2; exit 1; }

# Installs missing build and test dependencies (needs root and apt-get).
deps:
	@missing=""; for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make: run as root to install:$$missing" >&2; exit 1; fi; \
		echo 'wireshark-common wireshark-common/install-setuid boolean false' \
			| debconf-set-selections 2>/dev/null; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| { echo "make: apt-get install$$missing failed" >&2; exit 1; }; \
	fi

$(B):
	@mkdir -p $(B)

$(B)/%.o: src/%.c $(HDRS) | $(B) build-deps
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

# The BPF program, compiled for the kernel, then embedded as a byte array
# (aligned for libelf) that trans.c loads with bpf_object__open_mem.
$(B)/trans.bpf.o: src/trans.bpf.c src/trans.bpf.h | $(B)
	$(BPF_CC) $(BPF_CFLAGS) -c -o $@ $<

$(B)/trans_bpf_embed.c: $(B)/trans.bpf.o
	{ echo '/* generated from src/trans.bpf.c by the Makefile */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const unsigned char trans_bpf_obj[] __attribute__((aligned(8))) = {'; \
	  od -An -v -tx1 $< | awk '{ for (i = 1; i <= NF; i++) printf "0x%s,", $$i; print "" }'; \
	  echo '};'; \
	  echo 'const size_t trans_bpf_len = sizeof(trans_bpf_obj);'; } > $@.tmp && mv $@.tmp $@

$(B)/trans_bpf_embed.o: $(B)/trans_bpf_embed.c
	$(CC) $(TD_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(B)/libtd.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/teardownd: $(B)/teardownd.o $(B)/libtd.a
	$(CC) $(TD_CFLAGS) -o $@ $^ $(TD_LIBS)

$(B)/teardownctl: $(B)/teardownctl.o $(B)/libtd.a
	$(CC) $(TD_CFLAGS) -o $@ $^ $(TD_LIBS)

$(B)/test_%: tests/unit/test_%.c tests/unit/testutil.c $(B)/libtd.a tests/unit/testutil.h
	$(CC) $(TD_CFLAGS) -Itests/unit -o $@ $< tests/unit/testutil.c $(B)/libtd.a $(TD_LIBS) -lcmocka

# Stands in for systemd's notify socket in tests/e2e/daemon*.sh.
$(B)/notify_sink: tests/e2e/notify_sink.c | $(B)
	$(CC) $(TD_CFLAGS) -o $@ $<

# Stands in for a kernel without tcp_diag in tests/e2e/diag.sh (LD_PRELOAD);
# built without the sanitizers, which an LD_PRELOAD library cannot carry.
$(B)/diag_shim.so: tests/e2e/diag_shim.c | $(B)
	$(CC) -std=gnu11 -Wall -Wextra -O2 -shared -fPIC -o $@ $< -ldl

# Runs the built-in catalogue once on the embedded default and prints it.
run: deps all
	@./$(B)/teardownd --once --db ./teardownd.db; rc=$$?; \
	echo "stored in ./teardownd.db; step by step: ./$(B)/teardownctl show last/SCENARIO/ipv4"; \
	exit $$rc

# Every test: unit (cmocka), broken-input corpus, end-to-end on loopback.
check: deps all $(UNIT_BINS) $(B)/notify_sink $(B)/diag_shim.so
	@sh tests/run.sh $(B)

# The units under a real systemd: a Debian rootfs (debootstrap, cached in
# /var/cache/teardownd/vm) booted in qemu with teardownd installed
# (tests/vm/check-vm.sh; minutes).
check-vm: deps all
	@sh tests/vm/check-vm.sh $(B)

# The raw baseline of `make bench`: the scenarios' socket work alone.
$(B)/raw: tests/bench/raw.c | $(B)
	$(CC) $(TD_CFLAGS) -o $@ $<

# The store's write rate, through its API (tests/bench/store_bench.c).
$(B)/store_bench: tests/bench/store_bench.c tests/unit/testutil.c $(B)/libtd.a
	$(CC) $(TD_CFLAGS) -Itests/unit -o $@ $< tests/unit/testutil.c $(B)/libtd.a $(TD_LIBS) -lcmocka

# Side by side in one run: the loop, the capture, the relay, teardownd
# against the raw baseline (tests/bench/bench.sh).
bench: deps all $(B)/raw $(B)/store_bench
	@sh tests/bench/bench.sh $(B)

# The catalogue x1000, idle and beside two CPU hogs: every case must pass,
# every scenario behave the same each time (minutes; not in `check`).
soak: deps all
	@sh tests/soak.sh $(B)

# The same suite under AddressSanitizer and UBSan, in build-asan/.
check-asan: deps
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" check

unit: deps all $(UNIT_BINS)
	@for t in $(UNIT_BINS); do ./$$t || exit 1; done

clean:
	rm -rf build build-asan

# Binaries, systemd units and sysusers file, the configuration (never over
# an existing one), the catalogue to read and copy, the man pages. Units
# and configuration name the installed paths (SBINDIR, SYSCONFDIR).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/scenarios \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/teardownd/scenarios.d $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(B)/teardownd $(DESTDIR)$(SBINDIR)/teardownd
	install -m 644 etc/bash-completion/teardownctl $(DESTDIR)$(BASHCOMPDIR)/teardownctl
	install -m 755 $(B)/teardownctl $(DESTDIR)$(BINDIR)/teardownctl
	install -m 644 $(SCEN) $(DESTDIR)$(DATADIR)/scenarios/
	install -m 644 etc/teardownd.ini $(DESTDIR)$(DATADIR)/teardownd.ini
	install -m 644 etc/teardownd.schema.json $(DESTDIR)$(DATADIR)/teardownd.schema.json
	for u in $(UNITS); do \
		sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/etc/teardownd/|$(SYSCONFDIR)/teardownd/|g' \
			$$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; done
	install -m 644 systemd/teardownd.sysusers $(DESTDIR)$(SYSUSERSDIR)/teardownd.conf
	for m in $(MANS); do \
		sed -e 's|/usr/local/share/teardownd/|$(DATADIR)/|g' $$m \
			> $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m) && \
		chmod 644 $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m) || exit 1; done
	@conf=$(DESTDIR)$(SYSCONFDIR)/teardownd/teardownd.ini; \
	if [ -e "$$conf" ]; then echo "kept $$conf"; else \
		sed $(SITE_SED) etc/teardownd.ini > "$$conf" && chmod 644 "$$conf" \
		&& echo "installed $$conf"; fi

# Everything install put there; the configuration only while unchanged.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/teardownd $(DESTDIR)$(BINDIR)/teardownctl \
		$(DESTDIR)$(BASHCOMPDIR)/teardownctl
	rm -rf $(DESTDIR)$(DATADIR)
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/teardownd.conf
	rm -f $(DESTDIR)$(MANDIR)/man1/teardownctl.1 $(DESTDIR)$(MANDIR)/man5/teardownd.ini.5 \
		$(DESTDIR)$(MANDIR)/man8/teardownd.8
	@conf=$(DESTDIR)$(SYSCONFDIR)/teardownd/teardownd.ini; \
	if [ -e "$$conf" ] && sed $(SITE_SED) etc/teardownd.ini | cmp -s - "$$conf"; then \
		rm -f "$$conf"; else [ ! -e "$$conf" ] || echo "kept $$conf (changed)"; fi
	-rmdir $(DESTDIR)$(SYSCONFDIR)/teardownd/scenarios.d $(DESTDIR)$(SYSCONFDIR)/teardownd 2>/dev/null
