/*
 * group_peer: a libsrt socket-group peer for the group interop tests
 * (srt-proto/tests/interop_group*.rs), compiled by the test against a libsrt
 * built with ENABLE_BONDING.
 *
 *   group_peer probe
 *       exits 0 when this libsrt can create a group (built with bonding).
 *   group_peer caller broadcast|backup [options] HOST:PORT[#WEIGHT] ...
 *       connects one group member to each address, waits until --members N
 *       of them are connected, then reads messages from stdin and sends each
 *       one on the group (live mode); at end of input waits --linger-ms and
 *       closes the group.
 *   group_peer listener [options] PORT
 *       listens on 127.0.0.1:PORT with SRTO_GROUPCONNECT=1, accepts one
 *       group, writes every received message to stdout and exits 0 when the
 *       group closes (or 3 after --idle-ms without any message).
 *
 * Messages on stdin and stdout are framed by a 4-byte big-endian length,
 * or have a fixed size with --size N (stdin only; stdout is always framed).
 *
 * Options: --latency MS, --passphrase P, --pbkeylen 16|24|32, --members N,
 * --linger-ms MS, --idle-ms MS, --size N, --stabletimeo MS, --loglevel N,
 * --join-at N (caller: the last address joins the running group only
 * before message N; --members counts the others), --groupconnect 0|1
 * (listener: SRTO_GROUPCONNECT, default 1).
 *
 * Status lines on stderr, one event per line, for the test to parse:
 *   listening PORT | connected GROUP | accepted GROUP
 *   member SOCKET state pending|idle|running|broken sock N weight W peer ADDR
 *   ready MEMBERS | sent N | received N | refused TOKEN error E reject R
 *   | error WHAT: REASON
 */
#include <srt.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MEMBERS 8
#define MAX_MESSAGE 1456

struct options {
    int latency_ms;
    const char *passphrase;
    int pbkeylen;
    int members;
    int linger_ms;
    int idle_ms;
    int size;
    int stabletimeo_ms;
    int loglevel;
    int join_at;
    int groupconnect;
};

struct member_view {
    SRTSOCKET id;
    int memberstate;
    int sockstate;
};

static struct member_view known[MAX_MEMBERS * 4];
static int known_count;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *member_state_name(int s)
{
    switch (s) {
    case SRT_GST_PENDING: return "pending";
    case SRT_GST_IDLE: return "idle";
    case SRT_GST_RUNNING: return "running";
    case SRT_GST_BROKEN: return "broken";
    default: return "unknown";
    }
}

static void fail(const char *what)
{
    fprintf(stderr, "error %s: %s\n", what, srt_getlasterror_str());
    fflush(stderr);
    exit(2);
}

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    char host[INET_ADDRSTRLEN] = "?";
    if (ss->ss_family != AF_INET) {
        snprintf(out, len, "-");
        return;
    }
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    snprintf(out, len, "%s:%d", host, ntohs(sin->sin_port));
}

/* Prints a status line for every member whose state changed since the last
 * report, and returns how many members are idle or running. */
static int report_members(const SRT_SOCKGROUPDATA *data, size_t count)
{
    int usable = 0;
    for (size_t i = 0; i < count; i++) {
        const SRT_SOCKGROUPDATA *m = &data[i];
        struct member_view *v = NULL;
        for (int k = 0; k < known_count; k++)
            if (known[k].id == m->id)
                v = &known[k];
        if (!v && known_count < (int)(sizeof known / sizeof known[0])) {
            v = &known[known_count++];
            v->id = m->id;
            v->memberstate = -1;
            v->sockstate = -1;
        }
        if (m->memberstate == SRT_GST_IDLE || m->memberstate == SRT_GST_RUNNING)
            usable++;
        if (v && (v->memberstate != (int)m->memberstate || v->sockstate != (int)m->sockstate)) {
            char peer[64];
            format_addr(&m->peeraddr, peer, sizeof peer);
            fprintf(stderr, "member %d state %s sock %d weight %u peer %s\n", (int)m->id,
                    member_state_name(m->memberstate), (int)m->sockstate, (unsigned)m->weight,
                    peer);
            fflush(stderr);
            v->memberstate = m->memberstate;
            v->sockstate = m->sockstate;
        }
    }
    return usable;
}

static int poll_members(SRTSOCKET group)
{
    SRT_SOCKGROUPDATA data[MAX_MEMBERS * 2];
    size_t count = sizeof data / sizeof data[0];
    if (srt_group_data(group, data, &count) == SRT_ERROR)
        return -1;
    return report_members(data, count);
}

static void set_int(SRTSOCKET s, SRT_SOCKOPT opt, int value, const char *name)
{
    if (srt_setsockflag(s, opt, &value, sizeof value) == SRT_ERROR)
        fail(name);
}

/* Options every member (or the listener) needs: live mode is the default
 * transtype; latency and encryption as asked. */
static void apply_common(SRTSOCKET s, const struct options *o)
{
    set_int(s, SRTO_LATENCY, o->latency_ms, "SRTO_LATENCY");
    if (o->passphrase) {
        if (srt_setsockflag(s, SRTO_PASSPHRASE, o->passphrase, (int)strlen(o->passphrase)) ==
            SRT_ERROR)
            fail("SRTO_PASSPHRASE");
        set_int(s, SRTO_PBKEYLEN, o->pbkeylen, "SRTO_PBKEYLEN");
    }
}

static int parse_endpoint(const char *arg, struct sockaddr_in *sa, int *weight)
{
    char host[64];
    const char *colon = strrchr(arg, ':');
    if (!colon || (size_t)(colon - arg) >= sizeof host)
        return -1;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (port <= 0 || port > 65535)
        return -1;
    *weight = 0;
    if (*end == '#')
        *weight = atoi(end + 1);
    else if (*end != '\0')
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int read_exact(unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(0, buf + got, len - got);
        if (n == 0)
            return got == 0 ? 0 : -1;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    return 1;
}

/* Next message from stdin: its length, 0 at end of input, -1 on bad framing. */
static int read_message(const struct options *o, unsigned char *buf)
{
    size_t len = (size_t)o->size;
    if (o->size == 0) {
        unsigned char prefix[4];
        int r = read_exact(prefix, 4);
        if (r <= 0)
            return r;
        len = ((size_t)prefix[0] << 24) | ((size_t)prefix[1] << 16) | ((size_t)prefix[2] << 8) |
              prefix[3];
        if (len == 0 || len > MAX_MESSAGE)
            return -1;
    }
    int r = read_exact(buf, len);
    return r <= 0 ? r : (int)len;
}

/* A member's connection attempt ended: report a failure with its
 * SRT_REJ_* reason (a refused handshake). */
static void on_member_connect(void *opaque, SRTSOCKET ns, int errorcode,
                              const struct sockaddr *peer, int token)
{
    (void)opaque;
    (void)peer;
    if (errorcode != SRT_SUCCESS) {
        fprintf(stderr, "refused %d error %d reject %d\n", token, errorcode,
                srt_getrejectreason(ns));
        fflush(stderr);
    }
}

static int run_caller(SRT_GROUP_TYPE type, const struct options *o, int naddr, char **addrs)
{
    SRTSOCKET group = srt_create_group(type);
    if (group == SRT_INVALID_SOCK)
        fail("srt_create_group (is this libsrt built with ENABLE_BONDING?)");
    apply_common(group, o);
    if (type == SRT_GTYPE_BACKUP && o->stabletimeo_ms > 0)
        set_int(group, SRTO_GROUPMINSTABLETIMEO, o->stabletimeo_ms, "SRTO_GROUPMINSTABLETIMEO");

    SRT_SOCKGROUPCONFIG targets[MAX_MEMBERS];
    if (naddr > MAX_MEMBERS) {
        fprintf(stderr, "error too many addresses\n");
        return 2;
    }
    for (int i = 0; i < naddr; i++) {
        struct sockaddr_in sa;
        int weight;
        if (parse_endpoint(addrs[i], &sa, &weight) != 0) {
            fprintf(stderr, "error bad address %s\n", addrs[i]);
            return 2;
        }
        targets[i] = srt_prepare_endpoint(NULL, (struct sockaddr *)&sa, sizeof sa);
        targets[i].weight = (uint16_t)weight;
        targets[i].token = i;
    }
    int late = o->join_at > 0 ? 1 : 0;
    if (late && naddr < 2) {
        fprintf(stderr, "error --join-at needs a second address\n");
        return 2;
    }
    if (srt_connect_callback(group, on_member_connect, NULL) == SRT_ERROR)
        fail("srt_connect_callback");
    if (srt_connect_group(group, targets, naddr - late) == SRT_ERROR)
        fail("srt_connect_group");
    fprintf(stderr, "connected %d\n", (int)group);
    fflush(stderr);

    /* The stream should start with every path up, so a cut later is a
     * mid-stream failure and not a member that never joined. */
    long long deadline = now_ms() + 5000;
    int usable = 0;
    while ((usable = poll_members(group)) < o->members && now_ms() < deadline)
        sleep_ms(10);
    if (usable < o->members) {
        fprintf(stderr, "error only %d of %d members connected\n", usable, o->members);
        return 2;
    }
    fprintf(stderr, "ready %d\n", usable);
    fflush(stderr);

    unsigned char buf[MAX_MESSAGE];
    SRT_SOCKGROUPDATA data[MAX_MEMBERS * 2];
    long sent = 0;
    for (;;) {
        int len = read_message(o, buf);
        if (len == 0)
            break;
        if (late && sent == o->join_at) {
            /* A member joining the running group: libsrt gives it the
             * group's next sequence number and start time. */
            if (srt_connect_group(group, &targets[naddr - 1], 1) == SRT_ERROR)
                fail("srt_connect_group (joining)");
            fprintf(stderr, "joined %s\n", addrs[naddr - 1]);
            fflush(stderr);
        }
        if (len < 0) {
            fprintf(stderr, "error bad input framing\n");
            return 2;
        }
        SRT_MSGCTRL ctrl;
        srt_msgctrl_init(&ctrl);
        ctrl.grpdata = data;
        ctrl.grpdata_size = sizeof data / sizeof data[0];
        if (srt_sendmsg2(group, (const char *)buf, len, &ctrl) == SRT_ERROR)
            fail("srt_sendmsg2");
        report_members(data, ctrl.grpdata_size);
        sent++;
    }
    fprintf(stderr, "sent %ld\n", sent);
    fflush(stderr);
    /* Live mode has no linger: keep the group up while the receiver
     * acknowledges and the members retransmit what was lost. */
    long long until = now_ms() + o->linger_ms;
    while (now_ms() < until) {
        poll_members(group);
        sleep_ms(10);
    }
    srt_close(group);
    return 0;
}

static int run_listener(int port, const struct options *o)
{
    SRTSOCKET listener = srt_create_socket();
    if (listener == SRT_INVALID_SOCK)
        fail("srt_create_socket");
    set_int(listener, SRTO_GROUPCONNECT, o->groupconnect, "SRTO_GROUPCONNECT");
    apply_common(listener, o);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (srt_bind(listener, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR)
        fail("srt_bind");
    if (srt_listen(listener, 4) == SRT_ERROR)
        fail("srt_listen");
    fprintf(stderr, "listening %d\n", port);
    fflush(stderr);

    struct sockaddr_storage peer;
    int peer_len = sizeof peer;
    SRTSOCKET group = srt_accept(listener, (struct sockaddr *)&peer, &peer_len);
    if (group == SRT_INVALID_SOCK)
        fail("srt_accept");
    fprintf(stderr, "accepted %d%s\n", (int)group,
            (group & SRTGROUP_MASK) ? "" : " (not a group)");
    fflush(stderr);
    /* Keep listening: later members of this group arrive through the
     * listener and join the accepted group in the background. */

    set_int(group, SRTO_RCVTIMEO, 100, "SRTO_RCVTIMEO");
    unsigned char buf[MAX_MESSAGE + 64];
    SRT_SOCKGROUPDATA data[MAX_MEMBERS * 2];
    long received = 0;
    long long last = now_ms();
    int status = 0;
    for (;;) {
        SRT_MSGCTRL ctrl;
        srt_msgctrl_init(&ctrl);
        ctrl.grpdata = data;
        ctrl.grpdata_size = sizeof data / sizeof data[0];
        int n = srt_recvmsg2(group, (char *)buf, sizeof buf, &ctrl);
        if (n == SRT_ERROR) {
            int code = srt_getlasterror(NULL);
            if (code == SRT_EASYNCRCV) {
                poll_members(group);
                if (now_ms() - last > o->idle_ms) {
                    fprintf(stderr, "error idle for %d ms\n", o->idle_ms);
                    status = 3;
                    break;
                }
                continue;
            }
            fprintf(stderr, "closed %s\n", srt_getlasterror_str());
            break;
        }
        report_members(data, ctrl.grpdata_size);
        unsigned char prefix[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                   (unsigned char)(n >> 8), (unsigned char)n};
        if (fwrite(prefix, 1, 4, stdout) != 4 || fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return 2;
        fflush(stdout);
        received++;
        last = now_ms();
    }
    fprintf(stderr, "received %ld\n", received);
    fflush(stderr);
    srt_close(group);
    srt_close(listener);
    return status;
}

static void usage(void)
{
    fprintf(stderr, "usage: group_peer probe\n"
                    "       group_peer caller broadcast|backup [options] HOST:PORT[#W]...\n"
                    "       group_peer listener [options] PORT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct options o = {120, NULL, 16, 1, 1000, 10000, 0, 0, -1, 0, 1};
    if (argc < 2)
        usage();
    const char *mode = argv[1];
    int i = 2;
    SRT_GROUP_TYPE type = SRT_GTYPE_UNDEFINED;
    if (strcmp(mode, "caller") == 0) {
        if (argc < 3)
            usage();
        if (strcmp(argv[2], "broadcast") == 0)
            type = SRT_GTYPE_BROADCAST;
        else if (strcmp(argv[2], "backup") == 0)
            type = SRT_GTYPE_BACKUP;
        else
            usage();
        i = 3;
    } else if (strcmp(mode, "listener") != 0 && strcmp(mode, "probe") != 0) {
        usage();
    }
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            usage();
        const char *name = argv[i] + 2, *value = argv[i + 1];
        if (strcmp(name, "latency") == 0) o.latency_ms = atoi(value);
        else if (strcmp(name, "passphrase") == 0) o.passphrase = value;
        else if (strcmp(name, "pbkeylen") == 0) o.pbkeylen = atoi(value);
        else if (strcmp(name, "members") == 0) o.members = atoi(value);
        else if (strcmp(name, "linger-ms") == 0) o.linger_ms = atoi(value);
        else if (strcmp(name, "idle-ms") == 0) o.idle_ms = atoi(value);
        else if (strcmp(name, "size") == 0) o.size = atoi(value);
        else if (strcmp(name, "stabletimeo") == 0) o.stabletimeo_ms = atoi(value);
        else if (strcmp(name, "loglevel") == 0) o.loglevel = atoi(value);
        else if (strcmp(name, "join-at") == 0) o.join_at = atoi(value);
        else if (strcmp(name, "groupconnect") == 0) o.groupconnect = atoi(value);
        else usage();
    }
    if (o.size < 0 || o.size > MAX_MESSAGE)
        usage();

    srt_startup();
    if (o.loglevel >= 0)
        srt_setloglevel(o.loglevel);
    else
        srt_setloglevel(3); /* LOG_ERR: keep stderr for status lines */
    int status;
    if (strcmp(mode, "probe") == 0) {
        SRTSOCKET g = srt_create_group(SRT_GTYPE_BROADCAST);
        status = g == SRT_INVALID_SOCK ? 1 : 0;
        if (status == 0)
            srt_close(g);
        else
            fprintf(stderr, "error no socket groups in this libsrt\n");
    } else if (type != SRT_GTYPE_UNDEFINED) {
        status = run_caller(type, &o, argc - i, argv + i);
    } else {
        if (i + 1 != argc)
            usage();
        status = run_listener(atoi(argv[i]), &o);
    }
    srt_cleanup();
    return status;
}
