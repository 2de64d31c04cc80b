// Linux calls that Glibc declares only under _GNU_SOURCE, which Swift's Glibc module is built
// without. Declared here as glibc declares them (unistd.h); glibc itself provides them.
#ifndef DOSSIER_CLINUXSYNC_SHIM_H
#define DOSSIER_CLINUXSYNC_SHIM_H

/// Commits every file system buffer of the file system holding `fd` (syncfs(2), Linux 2.6.39,
/// glibc 2.14); since Linux 5.8 it reports write-back errors. Returns 0, or -1 with errno set.
extern int syncfs(int fd);

#include <pthread.h>

/// Names `thread` (at most 15 bytes and the NUL, as the kernel keeps it; glibc 2.12, pthread.h).
/// Returns 0, or an error number (ERANGE when the name is longer).
extern int pthread_setname_np(pthread_t thread, const char *name);

#endif
