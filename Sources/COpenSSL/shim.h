// What Swift cannot import from OpenSSL 3 directly: function-like macros and the typed
// sk_X509_* stack helpers. Each wrapper is one line over the documented macro.
#ifndef DOSSIER_COPENSSL_SHIM_H
#define DOSSIER_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static inline void dossier_openssl_free(void *p) { OPENSSL_free(p); }

static inline long dossier_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline STACK_OF(X509) *dossier_sk_x509_new(void) { return sk_X509_new_null(); }
static inline int dossier_sk_x509_push(STACK_OF(X509) *s, X509 *x) { return sk_X509_push(s, x); }
static inline int dossier_sk_x509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *dossier_sk_x509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
static inline void dossier_sk_x509_pop_free(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }
static inline void dossier_sk_x509_free(STACK_OF(X509) *s) { sk_X509_free(s); }

#endif
