/* guest.c: kernels in qemu guests (guest.h). */
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "guest.h"
#include "log.h"
#include "parse.h"
#include "store.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE	4	/* Linux 6.4 */
#endif

#define GUEST_MAGIC	"TEARDOWND-GUEST 1"
#define GUEST_HDR	512		/* the result disk's header, then the database */
#define GUEST_UP	"teardownd: guest: up"	/* init says so first */
#define GUEST_UP_US	(90 * 1000000LL)	/* a boot to init, at most (TCG: 2 s) */
#define GUEST_BEGIN	"teardownd: guest: output"
#define GUEST_END	"teardownd: guest: end"
#define DEPTH_MAX	3		/* meta-packages followed to the image */
#define CMDLINE_MAX	2000		/* x86 takes 2048 bytes */

/* The modules a guest loads, in order (each after those it needs): the
 * virtio disk, sock_diag for TCP, the relay's TUN and the veth link. */
static const struct gmod {
	const char *name;
	int required;
} gmods[] = {
	{ "virtio_ring", 1 }, { "virtio", 1 }, { "virtio_pci_legacy_dev", 0 },
	{ "virtio_pci_modern_dev", 0 }, { "virtio_pci", 1 }, { "virtio_blk", 1 },
	{ "inet_diag", 1 }, { "tcp_diag", 1 }, { "tun", 0 }, { "veth", 0 },
};
#define NGMODS (sizeof(gmods) / sizeof(gmods[0]))

static volatile sig_atomic_t stop_sig;	/* SIGINT or SIGTERM during a guest */
static int64_t merged[64];		/* the runs the last guest_run stored */
static size_t nmerged;

/* The runs the last guest_run stored. */
size_t
guest_merged(int64_t *ids, size_t max)
{
	size_t i;

	for (i = 0; i < nmerged && i < max; i++)
		ids[i] = merged[i];
	return i;
}

/* SIGINT, SIGTERM while a guest runs: qemu is stopped, nothing merged. */
static void
on_stop_signal(int sig)
{
	stop_sig = sig;
}

/* The signal that interrupted a guest, or 0. */
int
guest_interrupted(void)
{
	return stop_sig;
}

/* A kernel found: its image, its modules' directory and release. */
struct gkernel {
	char vmlinuz[PATH_MAX];
	char moddir[PATH_MAX];
	char release[128];
	char mods[NGMODS][PATH_MAX];		/* each module's file; "" builtin or none */
};

/* A newc cpio archive being written. */
struct cpio {
	FILE *f;
	uint32_t ino;
	char dirs[64][128];			/* directories written */
	int ndirs;
	int err;
};

/* snprintf into a path buffer; -1 (errno ENAMETOOLONG) when it does not
 * fit. */
static int __attribute__((format(printf, 3, 4)))
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		return 0;
	errno = ENAMETOOLONG;
	return -1;
}

/* The cache of downloaded kernels by default. */
void
guest_cache_default(char *buf, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		snprintf(buf, len, "/var/cache/teardownd/kernels");
	else if (x != NULL && x[0] == '/')
		snprintf(buf, len, "%s/teardownd/kernels", x);
	else
		snprintf(buf, len, "%s/.cache/teardownd/kernels",
		    home != NULL ? home : "/tmp");
}

/* mkdir -p path (mode 0755); 0 or -1. */
static int
mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* Starts argv with stdin /dev/null, stdout and stderr to the file out
 * (appended, or truncated first), in dir when not NULL: its pid, or -1. */
static pid_t
child_start(const char *const *argv, const char *dir, const char *out,
    int append)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	setpgid(0, 0);		/* the terminal's ^C goes to teardownd, which stops it */
	if ((fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC |
	    (append ? O_APPEND : O_TRUNC), 0600)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1)
		dup2(fd, 0);
	if (dir != NULL && chdir(dir) == -1)
		_exit(127);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* Runs argv as child_start does (out appended) and waits: its exit
 * status, or -1 when it could not run. */
static int
spawn(const char *const *argv, const char *dir, const char *out)
{
	pid_t pid;
	int st;

	if ((pid = child_start(argv, dir, out, 1)) == -1)
		return -1;
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR)
			return -1;
		if (stop_sig != 0)		/* SIGINT, SIGTERM: it stops too */
			kill(pid, SIGTERM);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The last non-empty lines of file path (at most n, 8) as one line,
 * joined by " | ", into buf ("" none). */
static void
tail_lines(const char *path, int n, char *buf, size_t len)
{
	char lines[8][256], line[256];
	FILE *f = fopen(path, "re");
	int k = 0, i;
	size_t off = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	n = n < 1 ? 1 : n > 8 ? 8 : n;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			snprintf(lines[k++ % 8], sizeof(lines[0]), "%s", line);
	}
	fclose(f);
	for (i = k > n ? k - n : 0; i < k && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    off > 0 ? " | " : "", lines[i % 8]);
}

/* The last non-empty line of file path into buf ("" none). */
static void
last_line(const char *path, char *buf, size_t len)
{
	tail_lines(path, 1, buf, len);
}

/* The one file in dir whose name starts with prefix into out; 0 or -1. */
static int
find_prefixed(const char *dir, const char *prefix, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && n++ == 0)
			snprintf(out, len, "%s/%s", dir, e->d_name);
	closedir(d);
	return n == 1 ? 0 : -1;
}

/* The release a bzImage names in its header (the setup header's
 * kernel_version), into rel; 0 or -1. */
static int
bzimage_release(const char *path, char *rel, size_t len)
{
	unsigned char b[2];
	char v[256];
	size_t n;
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (f == NULL)
		return -1;
	if (fseek(f, 0x202, SEEK_SET) == 0 && fread(v, 1, 4, f) == 4 &&
	    memcmp(v, "HdrS", 4) == 0 &&	/* the boot protocol's magic */
	    fseek(f, 0x20e, SEEK_SET) == 0 && fread(b, 1, 2, f) == 2 &&
	    fseek(f, 0x200 + (long)(b[0] | b[1] << 8), SEEK_SET) == 0 &&
	    (n = fread(v, 1, sizeof(v) - 1, f)) > 0) {
		v[n] = '\0';
		v[strcspn(v, " ")] = '\0';
		if (v[0] != '\0' && strlen(v) < len &&
		    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.+-_~") == strlen(v)) {
			snprintf(rel, len, "%s", v);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* Downloads package pkg into the cache (reused when there) and finds its
 * image, following a meta-package's dependency; 0, or -1 with err. */
static int
kernel_package(const char *pkg, const char *cache, struct gkernel *k,
    int depth, char *err, size_t len)
{
	char dir[PATH_MAX], tree[PATH_MAX], deb[PATH_MAX], log[PATH_MAX];
	char boot[PATH_MAX], depf[PATH_MAX], tmp[PATH_MAX], line[512], dep[256];
	const char *dl[] = { "apt-get", "download", pkg, NULL };
	const char *upd[] = { "apt-get", "update", "-qq", NULL };
	const char *x[] = { "dpkg-deb", "-x", deb, tmp, NULL };
	const char *f[] = { "dpkg-deb", "-f", deb, "Depends", NULL };
	FILE *fp;
	char *w;

	if (strspn(pkg, "abcdefghijklmnopqrstuvwxyz0123456789.+-") != strlen(pkg)) {
		snprintf(err, len, "--kernel: '%s' is not a Debian package name", pkg);
		return -1;
	}
	if (pathf(dir, sizeof(dir), "%s/%s", cache, pkg) == -1 ||
	    pathf(tree, sizeof(tree), "%s/tree", dir) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s/tree.tmp", dir) == -1 ||
	    pathf(log, sizeof(log), "%s/download.log", dir) == -1 ||
	    pathf(boot, sizeof(boot), "%s/boot", tree) == -1 || mkdirs(dir) == -1) {
		snprintf(err, len, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (find_prefixed(dir, pkg, deb, sizeof(deb)) == -1) {
		log_info("kernel %s: downloading into %s", pkg, dir);
		unlink(log);
		if (spawn(dl, dir, log) != 0 && geteuid() == 0 && stop_sig == 0) {
			/* Package lists older than the archive, or none yet
			 * (a fresh machine): read them again, once. */
			log_info("kernel %s: not found; apt-get update, then again",
			    pkg);
			spawn(upd, NULL, log);
			unlink(log);
			spawn(dl, dir, log);
		}
		if (find_prefixed(dir, pkg, deb, sizeof(deb)) == -1) {
			last_line(log, line, sizeof(line));
			snprintf(err, len, "kernel %s: the download failed: %s", pkg,
			    line[0] != '\0' ? line : "apt-get download did not run");
			return -1;
		}
	}
	if (access(tree, F_OK) == -1) {		/* unpacked whole, or not at all */
		const char *rm[] = { "rm", "-rf", tmp, NULL };

		spawn(rm, NULL, log);
		if (mkdirs(tmp) == -1 || spawn(x, NULL, log) != 0 ||
		    rename(tmp, tree) == -1) {
			spawn(rm, NULL, log);
			unlink(deb);		/* fetched again next time */
			snprintf(err, len, "kernel %s: cannot unpack %s (removed)",
			    pkg, deb);
			return -1;
		}
	}
	if (find_prefixed(boot, "vmlinuz-", k->vmlinuz, sizeof(k->vmlinuz)) == 0) {
		if (pathf(k->release, sizeof(k->release), "%s",
		    strrchr(k->vmlinuz, '/') + 1 + strlen("vmlinuz-")) == 0 &&
		    pathf(k->moddir, sizeof(k->moddir), "%s/lib/modules/%s", tree,
		    k->release) == 0)
			return 0;
		snprintf(err, len, "kernel %s: %s", pkg, strerror(errno));
		return -1;
	}
	/* A meta-package: its linux-image dependency. */
	dep[0] = '\0';
	if (depth < DEPTH_MAX && pathf(depf, sizeof(depf), "%s/depends.txt",
	    dir) == 0 && (unlink(depf) == 0 || errno == ENOENT) &&
	    spawn(f, NULL, depf) == 0 && (fp = fopen(depf, "re")) != NULL) {
		char text[1024] = "";

		if (fgets(text, sizeof(text), fp) != NULL)
			for (w = strtok(text, ",| \n"); w != NULL; w = strtok(NULL, ",| \n"))
				if (strncmp(w, "linux-image-", 12) == 0) {
					snprintf(dep, sizeof(dep), "%s", w);
					break;
				}
		fclose(fp);
	}
	if (dep[0] == '\0') {
		snprintf(err, len, "kernel %s: the package has no kernel image "
		    "(boot/vmlinuz-*)", pkg);
		return -1;
	}
	log_info("kernel %s: a meta-package for %s", pkg, dep);
	return kernel_package(dep, cache, k, depth + 1, err, len);
}

/* nftw's context: the modules' directory being searched. */
static struct gkernel *walk_k;

/* nftw: notes each module of gmods found. */
static int
walk_mod(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	size_t i, n;

	if (type != FTW_F)
		return 0;
	for (i = 0; i < NGMODS; i++) {
		n = strlen(gmods[i].name);
		if (strncmp(base, gmods[i].name, n) == 0 &&
		    (strcmp(base + n, ".ko") == 0 || strcmp(base + n, ".ko.xz") == 0 ||
		    strcmp(base + n, ".ko.zst") == 0))
			snprintf(walk_k->mods[i], sizeof(walk_k->mods[i]), "%s", path);
	}
	return 0;
}

/* Whether module name is built into the kernel (modules.builtin). */
static int
builtin(const struct gkernel *k, const char *name)
{
	char path[PATH_MAX], line[512], *b;
	FILE *f;
	int found = 0;

	if (pathf(path, sizeof(path), "%s/modules.builtin", k->moddir) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		b = strrchr(line, '/');
		b = b != NULL ? b + 1 : line;
		found = strncmp(b, name, strlen(name)) == 0 &&
		    strcmp(b + strlen(name), ".ko") == 0;
	}
	fclose(f);
	return found;
}

/* Finds kernel spec: a package, or VMLINUZ[,MODULES]; its modules. 0, or
 * -1 with err. */
static int
kernel_find(const char *spec, const char *cache, struct gkernel *k,
    char *err, size_t len)
{
	const char *comma = strchr(spec, ',');
	size_t i;

	memset(k, 0, sizeof(*k));
	if (strchr(spec, '/') == NULL) {
		if (kernel_package(spec, cache, k, 0, err, len) == -1)
			return -1;
	} else {
		snprintf(k->vmlinuz, sizeof(k->vmlinuz), "%.*s",
		    (int)(comma != NULL ? (size_t)(comma - spec) : strlen(spec)), spec);
		if (access(k->vmlinuz, R_OK) == -1) {
			snprintf(err, len, "--kernel: %s: %s", k->vmlinuz, strerror(errno));
			return -1;
		}
		if (bzimage_release(k->vmlinuz, k->release, sizeof(k->release)) == -1) {
			snprintf(err, len, "--kernel: %s is not a bzImage kernel",
			    k->vmlinuz);
			return -1;
		}
		if (comma != NULL)
			snprintf(k->moddir, sizeof(k->moddir), "%s", comma + 1);
		else
			snprintf(k->moddir, sizeof(k->moddir), "/lib/modules/%s",
			    k->release);
	}
	walk_k = k;
	if (nftw(k->moddir, walk_mod, 16, FTW_PHYS) == -1) {
		snprintf(err, len, "kernel %s: its modules: %s: %s", k->release,
		    k->moddir, strerror(errno));
		return -1;
	}
	for (i = 0; i < NGMODS; i++)
		if (k->mods[i][0] == '\0' && gmods[i].required &&
		    !builtin(k, gmods[i].name)) {
			snprintf(err, len, "kernel %s: no module %s in %s (nor built "
			    "in)", k->release, gmods[i].name, k->moddir);
			return -1;
		}
	return 0;
}

/* Writes a cpio entry's header and name. */
static void
cpio_hdr(struct cpio *c, const char *name, uint32_t mode, uint32_t size,
    uint32_t rmaj, uint32_t rmin)
{
	size_t n = strlen(name) + 1;
	static const char zero[4];

	if (fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
	    "%08zX%08X", c->ino++, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, rmaj,
	    rmin, n, 0u) < 0 || fwrite(name, 1, n, c->f) != n ||
	    fwrite(zero, 1, (4 - (110 + n) % 4) % 4, c->f) != (4 - (110 + n) % 4) % 4)
		c->err = 1;
}

/* A directory, once, and its parents. */
static void
cpio_dir(struct cpio *c, const char *path)
{
	char buf[128], *p;
	int i;

	snprintf(buf, sizeof(buf), "%s", path);
	if ((p = strrchr(buf, '/')) != NULL && p != buf) {
		*p = '\0';
		cpio_dir(c, buf);
		*p = '/';
	}
	for (i = 0; i < c->ndirs; i++)
		if (strcmp(c->dirs[i], buf) == 0)
			return;
	if (c->ndirs < 64)
		snprintf(c->dirs[c->ndirs++], sizeof(c->dirs[0]), "%s", buf);
	cpio_hdr(c, buf[0] == '/' ? buf + 1 : buf, 040755, 0, 0, 0);
}

/* A regular file name (an absolute path in the archive) with src's bytes. */
static int
cpio_copy(struct cpio *c, const char *name, const char *src, uint32_t mode)
{
	static const char zero[4];
	char parent[128], buf[65536];
	struct stat st;
	size_t n, left;
	int fd;

	snprintf(parent, sizeof(parent), "%s", name);
	if (strrchr(parent, '/') != parent) {
		*strrchr(parent, '/') = '\0';
		cpio_dir(c, parent);
	}
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	cpio_hdr(c, name + 1, mode, (uint32_t)st.st_size, 0, 0);
	for (left = (size_t)st.st_size; left > 0; left -= n) {
		ssize_t r = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (r <= 0) {
			c->err = 1;
			break;
		}
		n = (size_t)r;
		if (fwrite(buf, 1, n, c->f) != n)
			c->err = 1;
	}
	close(fd);
	n = (4 - (size_t)st.st_size % 4) % 4;
	if (fwrite(zero, 1, n, c->f) != n)
		c->err = 1;
	return 0;
}

/* teardownd's shared libraries and loader, as ldd lists them, into c. */
static int
cpio_libs(struct cpio *c, const char *exe, char *err, size_t len)
{
	char cmd[PATH_MAX + 16], line[1024], path[PATH_MAX], *p;
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ldd '%s'", exe);
	if (strchr(exe, '\'') != NULL || (f = popen(cmd, "re")) == NULL) {
		snprintf(err, len, "ldd %s: cannot run", exe);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, "=> ")) != NULL)
			p += 3;
		else
			p = line + strspn(line, " \t");
		if (*p != '/')
			continue;		/* linux-vdso, or not found */
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(p, " \n"), p);
		if (cpio_copy(c, path, path, 0100755) == -1) {
			snprintf(err, len, "%s: %s", path, strerror(errno));
			pclose(f);
			return -1;
		}
		n++;
	}
	if (pclose(f) != 0 && n == 0) {
		snprintf(err, len, "ldd %s failed", exe);
		return -1;
	}
	return 0;
}

/* The user's scenarios (a file, or a directory's *.ini) as /scenarios. */
static int
cpio_scenarios(struct cpio *c, const char *path)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	size_t n;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		cpio_dir(c, "/scenarios");
		return cpio_copy(c, "/scenarios/user.ini", path, 0100644);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	cpio_dir(c, "/scenarios");
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0 || n > 100)
			continue;
		snprintf(src, sizeof(src), "%s/%s", path, e->d_name);
		snprintf(dst, sizeof(dst), "/scenarios/%s", e->d_name);
		if (cpio_copy(c, dst, src, 0100644) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* Builds the initramfs at path: /init (teardownd), its libraries, /dev
 * with console, the kernel's modules in /modules, the configuration and
 * scenarios. 0, or -1 with err. */
static int
initramfs_build(const char *path, const struct gkernel *k,
    const struct guest_conf *gc, char *err, size_t len)
{
	struct cpio c = { 0 };
	char exe[PATH_MAX], name[PATH_MAX];
	ssize_t n;
	size_t i, m = 0;
	int rc = -1;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		snprintf(err, len, "/proc/self/exe: %s", strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	if ((c.f = fopen(path, "we")) == NULL) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	c.ino = 1;
	cpio_dir(&c, "/dev");
	cpio_hdr(&c, "dev/console", 020600, 0, 5, 1);
	cpio_dir(&c, "/proc");
	cpio_dir(&c, "/sys");
	cpio_dir(&c, "/tmp");
	cpio_dir(&c, "/modules");
	if (cpio_copy(&c, "/init", exe, 0100755) == -1) {
		snprintf(err, len, "%s: %s", exe, strerror(errno));
		goto done;
	}
	if (cpio_libs(&c, exe, err, len) == -1)
		goto done;
	for (i = 0; i < NGMODS; i++) {
		const char *f = k->mods[i], *ext;

		if (f[0] == '\0')
			continue;
		ext = strstr(strrchr(f, '/'), ".ko");
		snprintf(name, sizeof(name), "/modules/%02zu-%s%s", m++,
		    gmods[i].name, ext);
		if (cpio_copy(&c, name, f, 0100644) == -1) {
			snprintf(err, len, "%s: %s", f, strerror(errno));
			goto done;
		}
	}
	if (gc->config != NULL &&
	    cpio_copy(&c, "/teardownd.ini", gc->config, 0100644) == -1) {
		snprintf(err, len, "%s: %s", gc->config, strerror(errno));
		goto done;
	}
	if (gc->scenarios != NULL && cpio_scenarios(&c, gc->scenarios) == -1) {
		snprintf(err, len, "%s: %s", gc->scenarios, strerror(errno));
		goto done;
	}
	cpio_hdr(&c, "TRAILER!!!", 0, 0, 0, 0);
	if (c.err) {
		snprintf(err, len, "%s: cannot write", path);
		goto done;
	}
	rc = 0;
done:
	if (fclose(c.f) != 0 && rc == 0) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Whether qemu-system-x86_64 is on PATH. */
static int
have_qemu(void)
{
	const char *path = getenv("PATH");
	char buf[4096], exe[PATH_MAX], *d, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path != NULL ? path : "/usr/bin:/bin");
	for (d = strtok_r(buf, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		snprintf(exe, sizeof(exe), "%s/qemu-system-x86_64", d);
		if (access(exe, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* Whether the console file has a line with what; the first such line,
 * from what on, into buf when not NULL. */
static int
console_find(const char *path, const char *what, char *buf, size_t len)
{
	char line[1024], *p = NULL;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return 0;
	while (p == NULL && fgets(line, sizeof(line), f) != NULL)
		p = strstr(line, what);
	fclose(f);
	if (p != NULL && buf != NULL)
		snprintf(buf, len, "%.*s", (int)strcspn(p, "\r\n"), p);
	return p != NULL;
}

/* Whether the console file has a line with what. */
static int
console_has(const char *path, const char *what)
{
	return console_find(path, what, NULL, 0);
}

/* ": " and the kernel's panic line when the console has one, else "". */
static const char *
console_panic(const char *path, char *buf, size_t len)
{
	char p[256];

	if (!console_find(path, "Kernel panic", p, sizeof(p)))
		return "";
	snprintf(buf, len, " (it panicked: %s)", p);
	return buf;
}

/* The console's last lines (at most 8) as one line. */
static void
console_tail(const char *path, char *buf, size_t len)
{
	tail_lines(path, 8, buf, len);
}

/* Boots the guest once (accel "kvm" or "tcg") and waits for it to power
 * off, at most timeout_us: 0 when it did, 1 on timeout, 2 when its init
 * did not say it was up within GUEST_UP_US (both killed), -1 when qemu
 * could not run. */
static int
boot(const char *accel, const struct gkernel *k, const char *initrd,
    const char *cmdline, const char *disk, const char *console,
    const char *qlog, const struct guest_conf *gc)
{
	int64_t timeout_us = gc->timeout_us;
	char mem[16];
	int64_t start = clock_mono_us();
	int up = 0;
	char drive[PATH_MAX + 64], serial[PATH_MAX + 8];
	const char *argv[32];
	int64_t end = clock_mono_us() + timeout_us;
	pid_t pid, w;
	int n = 0, st;

	snprintf(drive, sizeof(drive), "file=%s,format=raw,if=virtio", disk);
	snprintf(serial, sizeof(serial), "file:%s", console);
	argv[n++] = "qemu-system-x86_64";
	argv[n++] = "-accel"; argv[n++] = accel;
	argv[n++] = "-cpu"; argv[n++] = strcmp(accel, "kvm") == 0 ? "host" : "max";
	snprintf(mem, sizeof(mem), "%d", gc->memory_mb);
	argv[n++] = "-m"; argv[n++] = mem;
	argv[n++] = "-smp"; argv[n++] = "2";
	argv[n++] = "-nodefaults"; argv[n++] = "-no-reboot";
	argv[n++] = "-display"; argv[n++] = "none";
	argv[n++] = "-serial"; argv[n++] = serial;
	argv[n++] = "-kernel"; argv[n++] = k->vmlinuz;
	argv[n++] = "-initrd"; argv[n++] = initrd;
	argv[n++] = "-append"; argv[n++] = cmdline;
	argv[n++] = "-drive"; argv[n++] = drive;
	argv[n] = NULL;
	unlink(console);
	if ((pid = child_start(argv, NULL, qlog, 0)) == -1)
		return -1;
	for (;;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			return stop_sig != 0 ? 3 : WIFEXITED(st) &&
			    WEXITSTATUS(st) == 127 ? -1 : 0;
		if (w == -1 && errno != EINTR)
			return -1;
		if (stop_sig != 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
			return 3;
		}
		up = up || console_has(console, GUEST_UP);
		if (clock_mono_us() >= end ||
		    (!up && clock_mono_us() - start >= GUEST_UP_US)) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
			return up ? 1 : 2;
		}
		nanosleep(&ts, NULL);
	}
}

/* Reads the result disk: the guest's exit status into *grc and its
 * database into db. 0, or -1 when it holds none. */
static int
result_read(const char *disk, const char *db, int *grc, long long max,
    long long *dbsize)
{
	char hdr[GUEST_HDR + 1], buf[65536];
	long long size;
	int in, out, rc = -1;
	ssize_t n;

	if ((in = open(disk, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (read(in, hdr, GUEST_HDR) != GUEST_HDR)
		goto done;
	hdr[GUEST_HDR] = '\0';
	if (strncmp(hdr, GUEST_MAGIC "\n", strlen(GUEST_MAGIC) + 1) != 0 ||
	    sscanf(hdr + strlen(GUEST_MAGIC) + 1, "rc %d\nsize %lld\n", grc,
	    &size) != 2 || size < 0 || size > max - GUEST_HDR)
		goto done;
	*dbsize = size;
	if ((out = open(db, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		goto done;
	while (size > 0 && (n = read(in, buf, size < (long long)sizeof(buf) ?
	    (size_t)size : sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			break;
		size -= n;
	}
	rc = size == 0 && close(out) == 0 ? 0 : -1;
	if (rc == -1)
		close(out);
done:
	close(in);
	return rc;
}

/* Prints the guest's own output: the console between its markers. */
static void
console_print(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int in = 0;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strstr(line, GUEST_END) != NULL)
			in = 0;
		else if (in && line[0] != '[')
			printf("%s\n", line);
		else if (strstr(line, GUEST_BEGIN) != NULL)
			in = 1;
	}
	fclose(f);
}

/* The kernel command line: the console, then teardownd's options. */
static int
cmdline_make(const struct guest_conf *gc, const char *virt, char *buf,
    size_t len)
{
	size_t off, i;

	off = (size_t)snprintf(buf, len, "console=ttyS0 earlyprintk=serial,ttyS0 "
	    "panic=-1 loglevel=4 "
	    "-- --guest --virt %s --guest-host %s/guest --once --db "
	    "/tmp/guest.db%s%s", virt, gc->host, gc->config != NULL ?
	    " -c /teardownd.ini" : "", gc->scenarios != NULL ?
	    " --scenarios /scenarios" : "");
	for (i = 0; i < gc->nargs && off < len; i++) {
		if (strpbrk(gc->args[i], " \t\n\"") != NULL)
			return -1;
		off += (size_t)snprintf(buf + off, len - off, " %s", gc->args[i]);
	}
	return off < len && off < CMDLINE_MAX ? 0 : -1;
}

static int guest_run1(const char *spec, const struct guest_conf *gc,
    struct store *st, int *rc, char *err, size_t errlen);

/* Runs the plan in a guest of spec and merges its runs into st, SIGINT
 * and SIGTERM caught meanwhile (they stop qemu). */
int
guest_run(const char *spec, const struct guest_conf *gc, struct store *st,
    int *rc, char *err, size_t errlen)
{
	struct sigaction sa, old_int, old_term;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	ret = guest_run1(spec, gc, st, rc, err, errlen);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}

/* guest_run's work. */
static int
guest_run1(const char *spec, const struct guest_conf *gc, struct store *st,
    int *rc, char *err, size_t errlen)
{
	static int kvm_failed;
	char cache[PATH_MAX], dir[] = "/tmp/teardownd-guest.XXXXXX";
	char initrd[PATH_MAX], disk[PATH_MAX], console[PATH_MAX], qlog[PATH_MAX];
	char db[PATH_MAX], cmdline[CMDLINE_MAX + 48], tail[700], tout[32];
	char panic[300];
	const char *virt = "tcg";
	struct store_merge_input in;
	struct gkernel *k;
	int fd, b, grc = -1, ret = -1, tries = 0;
	long long dbsize = 0;

	*rc = GUEST_EXIT_UNAVAILABLE;
	nmerged = 0;
	if (stop_sig != 0) {
		snprintf(err, errlen, "--kernel %s: not started (interrupted)", spec);
		*rc = 1;
		return -1;
	}
	if (!have_qemu()) {
		snprintf(err, errlen, "--kernel %s: no qemu-system-x86_64 on PATH "
		    "(Debian: apt-get install qemu-system-x86)", spec);
		return -1;
	}
	if (gc->cache != NULL)
		snprintf(cache, sizeof(cache), "%s", gc->cache);
	else
		guest_cache_default(cache, sizeof(cache));
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (kernel_find(spec, cache, k, err, errlen) == -1) {
		free(k);
		return -1;
	}
	*rc = 70;
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(k);
		return -1;
	}
	snprintf(initrd, sizeof(initrd), "%s/initrd.cpio", dir);
	snprintf(disk, sizeof(disk), "%s/result.img", dir);
	snprintf(console, sizeof(console), "%s/console.log", dir);
	snprintf(qlog, sizeof(qlog), "%s/qemu.log", dir);
	snprintf(db, sizeof(db), "%s/guest.db", dir);
	if (initramfs_build(initrd, k, gc, err, errlen) == -1)
		goto done;
	if ((fd = open(disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1 ||
	    ftruncate(fd, (off_t)gc->memory_mb << 20) == -1) {
		snprintf(err, errlen, "%s: %s", disk, strerror(errno));
		if (fd != -1)
			close(fd);
		goto done;
	}
	close(fd);
	if (!kvm_failed && access("/dev/kvm", R_OK | W_OK) == 0)
		virt = "kvm";
	for (;;) {
		if (cmdline_make(gc, virt, cmdline, sizeof(cmdline)) == -1) {
			snprintf(err, errlen, "--kernel %s: the guest's options do not "
			    "fit a kernel command line", spec);
			goto done;
		}
		log_info("kernel %s: booting %s under %s", spec, k->release,
		    strcmp(virt, "kvm") == 0 ? "KVM" : "TCG");
		b = boot(virt, k, initrd, cmdline, disk, console, qlog, gc);
		if (b == 3) {
			snprintf(err, errlen, "kernel %s: interrupted (%s); nothing "
			    "stored", k->release, stop_sig == SIGINT ? "SIGINT" :
			    "SIGTERM");
			*rc = 1;
			goto done;
		}
		if (b == -1) {
			last_line(qlog, tail, sizeof(tail));
			snprintf(err, errlen, "kernel %s: qemu did not run: %s",
			    k->release, tail[0] != '\0' ? tail : strerror(errno));
			goto done;
		}
		if (console_has(console, GUEST_UP))
			break;
		console_tail(console, tail, sizeof(tail));
		if (tail[0] == '\0')
			last_line(qlog, tail, sizeof(tail));
		if (tail[0] == '\0')
			snprintf(tail, sizeof(tail), "no console output");
		if (strcmp(virt, "kvm") == 0 && !console_has(console, "Linux version") &&
		    !console_has(console, "Command line:")) {
			/* Not a word from the kernel: KVM itself does not work
			 * here (this VM's /dev/kvm boots no stock kernel). */
			log_warnx("kernel %s: no boot under KVM (%s); using TCG",
			    k->release, tail);
			kvm_failed = 1;
			virt = "tcg";
			continue;
		}
		if (tries++ > 0) {
			snprintf(err, errlen, "kernel %s: the guest did not boot to its "
			    "init%s; console: %s", k->release, console_panic(console,
			    panic, sizeof(panic)), tail);
			goto done;
		}
		/* Seen under TCG once in about sixty boots of Debian's 6.12:
		 * a panic in an interrupt while devtmpfs made its nodes, before
		 * any of teardownd ran. Nothing is lost by a second boot. */
		log_warnx("kernel %s: the guest failed before its init ran (%s); "
		    "booting it again", k->release, tail);
	}
	if (b == 1) {
		console_tail(console, tail, sizeof(tail));
		parse_format_duration(gc->timeout_us, tout, sizeof(tout));
		snprintf(err, errlen, "kernel %s: the guest timed out after %s; "
		    "console: %s", k->release, tout, tail);
		goto done;
	}
	if (result_read(disk, db, &grc, (long long)gc->memory_mb << 20,
	    &dbsize) == -1) {
		console_tail(console, tail, sizeof(tail));
		snprintf(err, errlen, "kernel %s: the guest handed no results back%s; "
		    "console: %s", k->release, console_panic(console, panic,
		    sizeof(panic)), tail);
		goto done;
	}
	printf("== kernel %s (%s, %s) ==\n", k->release, spec, virt);
	console_print(console);
	fflush(stdout);
	if (access(db, F_OK) == -1 || dbsize == 0) {	/* it could not run */
		snprintf(err, errlen, "kernel %s: teardownd in the guest exited "
		    "%d without runs", k->release, grc);
		*rc = grc;
		goto done;
	}
	memset(&in, 0, sizeof(in));
	in.path = db;
	if (store_merge_into(st, &in, 1, err, errlen) == -1) {
		*rc = 74;
		goto done;
	}
	log_info("kernel %s: %lld runs stored", k->release, (long long)in.added);
	if (store_merged_runs(st, merged, sizeof(merged) / sizeof(merged[0]),
	    &nmerged) == -1)
		nmerged = 0;
	ret = grc;
done:
	unlink(initrd);
	unlink(disk);
	unlink(db);
	for (fd = 0; fd < 2; fd++) {		/* what attaching it in WAL mode made */
		char side[PATH_MAX + 8];

		snprintf(side, sizeof(side), "%s-%s", db, fd == 0 ? "wal" : "shm");
		unlink(side);
	}
	if (ret >= 0 || access(console, F_OK) == -1) {
		unlink(console);
		unlink(qlog);
		rmdir(dir);
	} else {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (whole console: %s)", console);
	}
	free(k);
	return ret;
}

/* Mounts fstype on dir (made first), logging a failure; 0 or -1. */
static int
mount_at(const char *fstype, const char *dir)
{
	mkdirs(dir);
	if (mount(fstype, dir, fstype, 0, NULL) == 0 || errno == EBUSY)
		return 0;
	log_warn("guest: mount %s on %s", fstype, dir);
	return -1;
}

/* qsort of module file names. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* In the guest: mounts, modules, host name. */
int
guest_prepare(const char *hostname)
{
	char *names[NGMODS + 4], path[PATH_MAX];
	struct dirent *e;
	size_t n = 0, i;
	DIR *d;
	int fd, rc = 0;

	fprintf(stderr, "%s\n", GUEST_UP);
	rc |= mount_at("proc", "/proc");
	rc |= mount_at("sysfs", "/sys");
	rc |= mount_at("devtmpfs", "/dev");
	mount_at("tracefs", "/sys/kernel/tracing");
	if ((d = opendir("/modules")) != NULL) {
		while ((e = readdir(d)) != NULL && n < NGMODS + 4)
			if (e->d_name[0] != '.')
				names[n++] = strdup(e->d_name);
		closedir(d);
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "/modules/%s", names[i]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
		    (syscall(SYS_finit_module, fd, "", strstr(names[i], ".ko.") != NULL ?
		    MODULE_INIT_COMPRESSED_FILE : 0) == -1 && errno != EEXIST)) {
			log_warn("guest: module %s", names[i]);
			rc = -1;
		}
		if (fd != -1)
			close(fd);
		free(names[i]);
	}
	if (hostname != NULL && sethostname(hostname, strlen(hostname)) == -1)
		log_warn("guest: sethostname %s", hostname);
	fprintf(stderr, "%s\n", GUEST_BEGIN);
	return rc == 0 ? 0 : -1;
}

/* In the guest: the results onto the disk, then power off. */
void
guest_finish(int rc, const char *db)
{
	char hdr[GUEST_HDR], buf[65536];
	long long size = 0, copied = 0;
	struct stat st;
	int in = -1, out;
	ssize_t n;

	fflush(stdout);
	fprintf(stderr, "%s: exit %d\n", GUEST_END, rc);
	memset(hdr, 0, sizeof(hdr));
	if ((out = open("/dev/vda", O_WRONLY | O_CLOEXEC)) == -1) {
		log_warn("guest: /dev/vda");
		goto off;
	}
	/* No database (the configuration was refused): its status alone. */
	if ((in = open(db, O_RDONLY | O_CLOEXEC)) != -1 && fstat(in, &st) == 0)
		size = (long long)st.st_size;
	if (in != -1 && lseek(out, GUEST_HDR, SEEK_SET) == GUEST_HDR)
		while (copied < size && (n = read(in, buf, sizeof(buf))) > 0 &&
		    write(out, buf, (size_t)n) == n)
			copied += n;
	if (copied != size) {			/* a part would be merged: none */
		log_warn("guest: %s onto /dev/vda", db);
		goto off;
	}
	/* The header last: a disk without it holds no results. */
	snprintf(hdr, sizeof(hdr), GUEST_MAGIC "\nrc %d\nsize %lld\n", rc, size);
	if (fsync(out) == -1 || pwrite(out, hdr, sizeof(hdr), 0) !=
	    (ssize_t)sizeof(hdr) || fsync(out) == -1)
		log_warn("guest: /dev/vda");
off:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
