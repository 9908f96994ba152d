/*
 * get-client: COUNT concurrent whole-file downloads of NAME, one thread and one connection each,
 * each copy written to OUTDIR/NNN/NAME; from a p2pshare peer over the peer protocol (p2p:
 * PROTOCOL.md, GET short form, answered by DATA and the file's bytes) or from an HTTP server
 * (http: HTTP/1.0 GET /NAME, the body after the headers). The same client on both sides, so
 * that bench/run.sh's comparison 3 measures the servers and not two clients; it is not .NET,
 * and it verifies nothing (the script compares the copies afterwards).
 *
 *   cc -O2 -pthread -o get-client bench/get-client.c
 *   get-client p2p|http HOST PORT NAME COUNT OUTDIR     exit status: the number of failures
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TYPE_GET 2
#define TYPE_DATA 4
#define BUFFER (1 << 20)

static const char *host, *name, *outdir;
static int port, http;

static int read_full(int fd, unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_full(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static uint64_t be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

/* One download; returns 0 when the whole file arrived and was written. */
static int download(int index) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%03d", outdir, index);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%03d/%s", outdir, index, name);

  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1 || connect(s, (struct sockaddr *)&address, sizeof address) != 0) {
    close(s);
    return -1;
  }

  size_t n = strlen(name);
  unsigned char request[5 + 2 + 4096 + 64];
  if (n > 4096) {
    close(s);
    return -1;
  }
  if (http) {
    int result = -1;
    int fd = -1;
    unsigned char *buffer = malloc(BUFFER);
    int length = snprintf((char *)request, sizeof request, "GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n", name, host);
    if (buffer == NULL || write_full(s, request, (size_t)length) != 0) goto http_done;
    /* The headers end at the first blank line; what follows in the buffer is body. */
    size_t have = 0;
    char *end = NULL;
    while (end == NULL && have < 65536) {
      ssize_t r = read(s, buffer + have, 65536 - have);
      if (r <= 0) goto http_done;
      have += (size_t)r;
      buffer[have] = 0;
      end = strstr((char *)buffer, "\r\n\r\n");
    }
    if (end == NULL || strncmp((char *)buffer, "HTTP/1.1 200", 12) != 0) goto http_done;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t body = (size_t)(end + 4 - (char *)buffer);
    if (fd < 0 || write_full(fd, buffer + body, have - body) != 0) goto http_done;
    for (;;) {
      ssize_t r = read(s, buffer, BUFFER);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) goto http_done;
      if (r == 0) break;
      if (write_full(fd, buffer, (size_t)r) != 0) goto http_done;
    }
    result = 0;
  http_done:
    if (fd >= 0) close(fd);
    free(buffer);
    close(s);
    return result;
  }
  uint32_t payload = (uint32_t)(2 + n);
  request[0] = TYPE_GET;
  request[1] = (unsigned char)(payload >> 24);
  request[2] = (unsigned char)(payload >> 16);
  request[3] = (unsigned char)(payload >> 8);
  request[4] = (unsigned char)payload;
  request[5] = (unsigned char)(n >> 8);
  request[6] = (unsigned char)n;
  memcpy(request + 7, name, n);

  unsigned char header[5 + 16];
  int result = -1;
  int fd = -1;
  unsigned char *buffer = malloc(BUFFER);
  if (buffer == NULL || write_full(s, request, 7 + n) != 0 || read_full(s, header, 5) != 0 || header[0] != TYPE_DATA) goto done;
  uint32_t length = ((uint32_t)header[1] << 24) | ((uint32_t)header[2] << 16) | ((uint32_t)header[3] << 8) | header[4];
  if (length != 16 || read_full(s, header + 5, 16) != 0) goto done;
  uint64_t remaining = be64(header + 13);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) goto done;
  while (remaining > 0) {
    size_t want = remaining < BUFFER ? (size_t)remaining : BUFFER;
    ssize_t r = read(s, buffer, want);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || write_full(fd, buffer, (size_t)r) != 0) goto done;
    remaining -= (uint64_t)r;
  }
  result = 0;
done:
  if (fd >= 0) close(fd);
  free(buffer);
  close(s);
  return result;
}

static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *run(void *argument) {
  if (download((int)(intptr_t)argument) != 0) {
    pthread_mutex_lock(&lock);
    failures++;
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 7 || (strcmp(argv[1], "p2p") != 0 && strcmp(argv[1], "http") != 0)) {
    fprintf(stderr, "usage: get-client p2p|http HOST PORT NAME COUNT OUTDIR\n");
    return 255;
  }
  http = strcmp(argv[1], "http") == 0;
  host = argv[2];
  port = atoi(argv[3]);
  name = argv[4];
  int count = atoi(argv[5]);
  outdir = argv[6];
  if (port <= 0 || port > 65535 || count <= 0 || count > 1000) {
    fprintf(stderr, "get-client: bad port or count\n");
    return 255;
  }
  mkdir(outdir, 0755);
  pthread_t *threads = calloc((size_t)count, sizeof *threads);
  for (int i = 0; i < count; i++) {
    if (pthread_create(&threads[i], NULL, run, (void *)(intptr_t)i) != 0) {
      fprintf(stderr, "get-client: cannot start thread %d\n", i);
      return 255;
    }
  }
  for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
  if (failures > 0) fprintf(stderr, "get-client: %d of %d downloads failed\n", failures, count);
  return failures > 254 ? 254 : failures;
}
