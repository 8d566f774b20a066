/* guest.h: the plan run inside a qemu guest booted with another kernel
 * (teardownd --once --kernel SPEC). The host side finds the kernel (a
 * Debian linux-image package, downloaded once into a cache, or a vmlinuz
 * and its modules), builds an initramfs of teardownd itself, its
 * libraries and the modules the plan needs, boots qemu (KVM when a boot
 * under it works, else TCG) and merges the database the guest hands back
 * on a virtio disk into the runs' own. The guest side is teardownd as the
 * guest's init (--guest): it mounts what it needs, loads the modules, runs
 * the plan once, writes its database to the disk and powers off. */
#ifndef TEARDOWND_GUEST_H
#define TEARDOWND_GUEST_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define GUEST_EXIT_UNAVAILABLE	69	/* EX_UNAVAILABLE: no qemu, no kernel */

/* What the host passes on to every guest. */
struct guest_conf {
	const char *cache;			/* downloaded kernels; NULL: the default */
	int64_t timeout_us;			/* a guest's whole life, boot to power-off */
	int memory_mb;				/* its memory (its database lives there;
						 * the result disk is as large) */
	const char *config;			/* -c FILE, copied in; NULL none */
	const char *scenarios;			/* user scenarios (file or directory); NULL */
	const char *const *args;		/* teardownd's options for the guest's run */
	size_t nargs;
	const char *host;			/* this host's name: the guest's is HOST/guest */
};

/* Runs the plan in a guest of kernel spec (a Debian package name such as
 * linux-image-6.1.0-50-cloud-amd64, or VMLINUZ[,MODULES_DIR]) and merges
 * its runs into st. Prints the guest's summary. Returns the guest's exit
 * status (as --once's), or -1 with a one-line reason in err and *rc the
 * exit code for it (69: no qemu, no such kernel, a failed download; 70:
 * the guest panicked, timed out or handed nothing back; 74: its runs
 * could not be merged). */
int guest_run(const char *spec, const struct guest_conf *gc, struct store *st,
    int *rc, char *err, size_t errlen);
/* The runs the last guest_run stored (their ids here), at most max. */
size_t guest_merged(int64_t *ids, size_t max);

/* The signal (SIGINT, SIGTERM) that interrupted a guest_run, or 0: no
 * further guest should start. */
int guest_interrupted(void);

/* The default cache of downloaded kernels: /var/cache/teardownd/kernels
 * for root, else $XDG_CACHE_HOME (or ~/.cache)/teardownd/kernels. */
void guest_cache_default(char *buf, size_t len);

/* In the guest, as its init (--guest): mounts proc, sys, devtmpfs,
 * tracefs; loads /modules in order; sets the host name. 0, or -1 logged. */
int guest_prepare(const char *hostname);
/* In the guest: writes the database at db and rc to the result disk and
 * powers off. Does not return. */
void guest_finish(int rc, const char *db) __attribute__((noreturn));

#endif
