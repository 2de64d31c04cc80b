// Typed, non-variadic wrappers over libcurl's variadic setopt/getinfo, which Swift cannot call,
// and the outbound peer pin (docs/protocol.md, Identity), written in C because its callbacks run inside
// OpenSSL's handshake and swiftc 6.3.1 crashes on @convention(c) closures that capture.
#ifndef DOSSIER_CCURL_SHIM_H
#define DOSSIER_CCURL_SHIM_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline CURLcode dossier_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dossier_curl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dossier_curl_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dossier_curl_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dossier_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode dossier_curl_easy_setopt_read_cb(CURL *h, curl_read_callback cb) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, cb); }
static inline CURLcode dossier_curl_easy_setopt_seek_cb(CURL *h, curl_seek_callback cb) { return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, cb); }
static inline CURLcode dossier_curl_easy_setopt_write_cb(CURL *h, curl_write_callback cb) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
static inline CURLcode dossier_curl_easy_setopt_header_cb(CURL *h, curl_write_callback cb) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }

static inline CURLcode dossier_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode dossier_curl_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode dossier_curl_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode dossier_curl_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode dossier_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

// MARK: peer pinning

/// Outbound TLS policy: TLS 1.2 suites with ECDHE and AEAD only (TLS 1.3 suites are all AEAD).
#define DOSSIER_TLS12_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

#define DOSSIER_PIN_MAX_SPKI 16

enum dossier_pin_failure {
    DOSSIER_PIN_OK = 0,
    /// The certificate's subject does not hold exactly one serialNumber equal to the peer's code.
    DOSSIER_PIN_IDENTITY = 1,
    /// The code matched, but the public key is none of the configured SPKI pins.
    DOSSIER_PIN_SPKI = 2,
    /// A kept connection's (or resumed session's) chain no longer verifies against the trust in
    /// force now: a CRL or anchor change since it was made. `presented` holds OpenSSL's reason.
    DOSSIER_PIN_CHAIN = 3,
};

/// What one transfer expects of the server: the peer's authority code, its SPKI SHA-256 pins
/// (none: any key), and the trust store (anchors + every CRL) its chain must verify against.
/// An empty `expected` is a fetch of a signed public object (a CRL) from any server whose chain
/// verifies against the anchors, revocation aside: the object's own signature is what is
/// trusted, and the CRL being fetched may be the one revocation checking waits for.
/// The callbacks write what they found into `failure` and `presented`.
typedef struct dossier_pin {
    CURL *easy;
    X509_STORE *store;
    char expected[16];
    unsigned char spki[DOSSIER_PIN_MAX_SPKI][32];
    int spki_count;
    int failure;
    char presented[128];
} dossier_pin;

/// A pin for `expected` on `easy`, verifying against `store` (reference taken). NULL when out of memory.
static inline dossier_pin *dossier_pin_new(CURL *easy, X509_STORE *store, const char *expected) {
    dossier_pin *pin = calloc(1, sizeof(dossier_pin));
    if (!pin) return NULL;
    pin->easy = easy;
    if (store && X509_STORE_up_ref(store)) pin->store = store;
    strncpy(pin->expected, expected, sizeof(pin->expected) - 1);
    return pin;
}

static inline void dossier_pin_free(dossier_pin *pin) {
    if (!pin) return;
    if (pin->store) X509_STORE_free(pin->store);
    free(pin);
}

/// Adds one SPKI pin (32 bytes of SHA-256); 0 when there is no room left.
static inline int dossier_pin_add_spki(dossier_pin *pin, const unsigned char *sha256) {
    if (pin->spki_count >= DOSSIER_PIN_MAX_SPKI) return 0;
    memcpy(pin->spki[pin->spki_count++], sha256, 32);
    return 1;
}

static inline int dossier_pin_failure_kind(const dossier_pin *pin) { return pin->failure; }
static inline const char *dossier_pin_presented(const dossier_pin *pin) { return pin->presented; }

/// Checks the server's leaf certificate against the pin; records a mismatch. 1 when it matches.
static inline int dossier_pin_check_leaf(dossier_pin *pin, X509 *leaf) {
    X509_NAME *subject = leaf ? X509_get_subject_name(leaf) : NULL;
    int count = 0, last = -1, index;
    char code[sizeof(pin->presented)] = "";
    while (subject && (index = X509_NAME_get_index_by_NID(subject, NID_serialNumber, last)) >= 0) {
        last = index;
        if (count++ > 0) continue;
        ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
        int length = data ? ASN1_STRING_length(data) : 0;
        if (length < 0) length = 0;
        if ((size_t)length >= sizeof(code)) length = (int)sizeof(code) - 1;
        if (length > 0) memcpy(code, ASN1_STRING_get0_data(data), (size_t)length);
        code[length] = 0;
    }
    if (count != 1 || strlen(code) != strlen(pin->expected) || strcmp(code, pin->expected) != 0) {
        pin->failure = DOSSIER_PIN_IDENTITY;
        if (count == 0) snprintf(pin->presented, sizeof(pin->presented), "no serialNumber");
        else if (count > 1) snprintf(pin->presented, sizeof(pin->presented), "%d serialNumber attributes", count);
        else snprintf(pin->presented, sizeof(pin->presented), "%s", code);
        return 0;
    }
    if (pin->spki_count == 0) return 1;
    unsigned char *der = NULL;
    int length = i2d_PUBKEY(X509_get0_pubkey(leaf), &der);
    unsigned char digest[32];
    unsigned int digest_length = 0;
    int hashed = length > 0 && EVP_Digest(der, (size_t)length, digest, &digest_length, EVP_sha256(), NULL) && digest_length == 32;
    OPENSSL_free(der);
    for (int i = 0; hashed && i < pin->spki_count; i++) {
        if (memcmp(pin->spki[i], digest, 32) == 0) return 1;
    }
    pin->failure = DOSSIER_PIN_SPKI;
    snprintf(pin->presented, sizeof(pin->presented), "%.64s with an unpinned key", code);
    return 0;
}

/// The SSL ex_data slot recording the trust store a connection's server chain last verified
/// against. The slot holds a reference, so a recorded store cannot be freed and its address
/// reused for another while the connection lives.
static int dossier_pin_slot_index = -1;
static pthread_once_t dossier_pin_slot_once = PTHREAD_ONCE_INIT;

static void dossier_pin_slot_free(void *parent, void *ptr, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent; (void)data; (void)index; (void)argl; (void)argp;
    if (ptr) X509_STORE_free(ptr);
}

static void dossier_pin_slot_init(void) {
    dossier_pin_slot_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, dossier_pin_slot_free);
}

static int dossier_pin_slot(void) {
    pthread_once(&dossier_pin_slot_once, dossier_pin_slot_init);
    return dossier_pin_slot_index;
}

/// Records on `ssl` that its server chain verified against `store`.
static void dossier_pin_mark_verified(SSL *ssl, X509_STORE *store) {
    int slot = dossier_pin_slot();
    if (slot < 0 || !ssl || !store) return;
    X509_STORE *old = SSL_get_ex_data(ssl, slot);
    if (old == store || !X509_STORE_up_ref(store)) return;
    if (SSL_set_ex_data(ssl, slot, store)) {
        if (old) X509_STORE_free(old);
    } else {
        X509_STORE_free(store);
    }
}

/// Verifies `ssl`'s server chain again, as of now, against the pin's store, unless it already
/// verified against this very store: trust changes (a CRL refreshed, SIGHUP) swap in a new
/// store, and neither a kept-alive connection nor a resumed session runs the handshake's check.
/// 1 when the chain verifies; otherwise the failure is recorded.
static int dossier_pin_recheck_chain(dossier_pin *pin, SSL *ssl) {
    int slot = dossier_pin_slot();
    if (slot >= 0 && SSL_get_ex_data(ssl, slot) == pin->store) return 1;
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int verified = ctx && leaf && X509_STORE_CTX_init(ctx, pin->store, leaf, SSL_get_peer_cert_chain(ssl)) == 1
        && X509_STORE_CTX_set_default(ctx, "ssl_server") == 1 && X509_verify_cert(ctx) == 1;
    if (verified) {
        dossier_pin_mark_verified(ssl, pin->store);
    } else {
        int error = ctx ? X509_STORE_CTX_get_error(ctx) : X509_V_ERR_OUT_OF_MEM;
        pin->failure = DOSSIER_PIN_CHAIN;
        snprintf(pin->presented, sizeof(pin->presented), "%s", X509_verify_cert_error_string(error));
    }
    X509_STORE_CTX_free(ctx);
    return verified;
}

/// Replaces OpenSSL's chain check for a fresh handshake: the chain must verify against the
/// pin's store (anchors and every CRL), then the leaf must be the expected peer. A failure
/// aborts the handshake before our certificate (TLS 1.3) or any request byte is sent.
static int dossier_pin_verify(X509_STORE_CTX *ctx, void *arg) {
    dossier_pin *pin = arg;
    if (pin->expected[0] == 0) {
        X509_VERIFY_PARAM_clear_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        return X509_verify_cert(ctx);
    }
    if (X509_verify_cert(ctx) != 1) return 0;
    if (dossier_pin_check_leaf(pin, X509_STORE_CTX_get0_cert(ctx))) {
        dossier_pin_mark_verified(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()), pin->store);
        return 1;
    }
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

/// libcurl's last word on each new connection's SSL_CTX: our trust store, our verification,
/// no renegotiation (the verification must not run again on a connection another transfer
/// reuses, when this pin may be gone).
static CURLcode dossier_pin_ssl_ctx(CURL *easy, void *ssl_ctx, void *arg) {
    (void)easy;
    dossier_pin *pin = arg;
    SSL_CTX *ctx = ssl_ctx;
    if (!pin->store) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set1_cert_store(ctx, pin->store);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_cert_verify_callback(ctx, dossier_pin_verify, pin);
    return CURLE_OK;
}

/// Runs before every request, on new and reused connections alike: a connection (or a resumed
/// session) verified for another peer, or under trust since withdrawn, must not carry this
/// peer's request.
static int dossier_pin_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port) {
    (void)primary_ip; (void)local_ip; (void)primary_port; (void)local_port;
    dossier_pin *pin = arg;
    if (pin->expected[0] == 0) return CURL_PREREQFUNC_OK;
    struct curl_tlssessioninfo *info = NULL;
    if (curl_easy_getinfo(pin->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info
        || info->backend != CURLSSLBACKEND_OPENSSL || !info->internals) {
        pin->failure = DOSSIER_PIN_IDENTITY;
        snprintf(pin->presented, sizeof(pin->presented), "no TLS session");
        return CURL_PREREQFUNC_ABORT;
    }
    SSL *ssl = info->internals;
    return dossier_pin_check_leaf(pin, SSL_get0_peer_certificate(ssl)) && dossier_pin_recheck_chain(pin, ssl)
        ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/// Installs the pin on `easy`: TLS policy, handshake verification and the per-request check.
static inline CURLcode dossier_curl_easy_pin(CURL *easy, dossier_pin *pin) {
    CURLcode code;
    if ((code = curl_easy_setopt(easy, CURLOPT_SSL_CIPHER_LIST, DOSSIER_TLS12_CIPHERS)) != CURLE_OK) return code;
    if ((code = curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, dossier_pin_ssl_ctx)) != CURLE_OK) return code;
    if ((code = curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, pin)) != CURLE_OK) return code;
    if ((code = curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, dossier_pin_prereq)) != CURLE_OK) return code;
    return curl_easy_setopt(easy, CURLOPT_PREREQDATA, pin);
}

#endif
