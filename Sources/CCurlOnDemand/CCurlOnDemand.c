#include "CCurlOnDemand.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

// Assigning dlsym's void * to a function pointer is the POSIX way (dlsym's own rationale).
#define DOSSIER_RESOLVE(handle, field, name)                                              \
    do {                                                                                  \
        *(void **)(&api.field) = dlsym(handle, name);                                     \
        if (api.field == NULL) {                                                          \
            snprintf(load_error, sizeof load_error, "libcurl.so.4 lacks %s", name);       \
            return;                                                                       \
        }                                                                                 \
    } while (0)

static void load(void) {
    void *handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "%s", why ? why : "libcurl.so.4 not found");
        return;
    }
    DOSSIER_RESOLVE(handle, easy_init, "curl_easy_init");
    DOSSIER_RESOLVE(handle, easy_cleanup, "curl_easy_cleanup");
    DOSSIER_RESOLVE(handle, easy_perform, "curl_easy_perform");
    DOSSIER_RESOLVE(handle, easy_strerror, "curl_easy_strerror");
    DOSSIER_RESOLVE(handle, easy_setopt, "curl_easy_setopt");
    DOSSIER_RESOLVE(handle, easy_getinfo, "curl_easy_getinfo");
    DOSSIER_RESOLVE(handle, slist_append, "curl_slist_append");
    DOSSIER_RESOLVE(handle, slist_free_all, "curl_slist_free_all");
}

int dossier_curl_load(char *error, size_t length) {
    pthread_once(&once, load);
    if (load_error[0] == '\0') return 0;
    if (error != NULL && length > 0) snprintf(error, length, "%s", load_error);
    return -1;
}

CURL *dossier_dyn_easy_init(void) { return api.easy_init(); }
void dossier_dyn_easy_cleanup(CURL *h) { api.easy_cleanup(h); }
CURLcode dossier_dyn_easy_perform(CURL *h) { return api.easy_perform(h); }
const char *dossier_dyn_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
CURLcode dossier_dyn_setopt_long(CURL *h, CURLoption o, long v) { return api.easy_setopt(h, o, v); }
CURLcode dossier_dyn_setopt_str(CURL *h, CURLoption o, const char *v) { return api.easy_setopt(h, o, v); }
CURLcode dossier_dyn_setopt_ptr(CURL *h, CURLoption o, const void *v) { return api.easy_setopt(h, o, v); }
CURLcode dossier_dyn_setopt_write_cb(CURL *h, curl_write_callback cb) { return api.easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
CURLcode dossier_dyn_getinfo_long(CURL *h, CURLINFO i, long *v) { return api.easy_getinfo(h, i, v); }
struct curl_slist *dossier_dyn_slist_append(struct curl_slist *list, const char *text) { return api.slist_append(list, text); }
void dossier_dyn_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }
