// libcurl loaded with dlopen the first time it is needed, for dossierctl: most of its commands
// (pack, verify, sample, report) never talk to the daemon, and linking libcurl costs every
// process ~6 ms at start for the thirty libraries it pulls in (GnuTLS, Kerberos, LDAP, ...).
// Only curl's header is used here, for its types; nothing links libcurl.
#ifndef DOSSIER_CCURL_ON_DEMAND_H
#define DOSSIER_CCURL_ON_DEMAND_H

#include <curl/curl.h>
#include <stddef.h>

/// Loads libcurl.so.4 and the eight entry points the admin client uses, once per process
/// (thread-safe). Returns 0, or -1 with dlerror's text in `error` (NUL-terminated, truncated
/// to `length`) when the library or a symbol is missing; every later call gives the same answer.
int dossier_curl_load(char *error, size_t length);

// Valid only after dossier_curl_load returned 0. Typed, non-variadic wrappers, as in CCurl.
CURL *dossier_dyn_easy_init(void);
void dossier_dyn_easy_cleanup(CURL *h);
CURLcode dossier_dyn_easy_perform(CURL *h);
const char *dossier_dyn_easy_strerror(CURLcode code);
CURLcode dossier_dyn_setopt_long(CURL *h, CURLoption o, long v);
CURLcode dossier_dyn_setopt_str(CURL *h, CURLoption o, const char *v);
CURLcode dossier_dyn_setopt_ptr(CURL *h, CURLoption o, const void *v);
CURLcode dossier_dyn_setopt_write_cb(CURL *h, curl_write_callback cb);
CURLcode dossier_dyn_getinfo_long(CURL *h, CURLINFO i, long *v);
struct curl_slist *dossier_dyn_slist_append(struct curl_slist *list, const char *text);
void dossier_dyn_slist_free_all(struct curl_slist *list);

#endif
