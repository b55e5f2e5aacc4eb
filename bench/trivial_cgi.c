/* trivial_cgi.c - the floor for CGI request cost: reads the request body to its end,
 * (CONTENT_LENGTH bytes), answers GET and HEAD with a fixed 4 KiB object (its MD5 as the ETag) and anything
 * else with an empty 200. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_ETAG "\"20439f79e4e9dc95be34b21029221f80\""   /* MD5 of 4096 'x' */

int main(void)
{
    static const char get[] = "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
                              "ETag: " BODY_ETAG "\r\nContent-Length: 4096\r\n\r\n";
    static const char other[] = "Status: 200 OK\r\nETag: " BODY_ETAG "\r\nContent-Length: 0\r\n\r\n";
    static char body[4096], in[65536];
    const char *cl = getenv("CONTENT_LENGTH");
    for (long left = cl ? atol(cl) : 0; left > 0;) {
        ssize_t n = read(STDIN_FILENO, in, sizeof in);
        if (n <= 0)
            break;
        left -= n;
    }
    const char *m = getenv("REQUEST_METHOD");
    int is_get = m && !strcmp(m, "GET"), is_head = m && !strcmp(m, "HEAD");
    memset(body, 'x', sizeof body);
    if (is_get || is_head) {
        if (write(STDOUT_FILENO, get, sizeof get - 1) < 0 || (is_get && write(STDOUT_FILENO, body, sizeof body) < 0))
            return 1;
    } else if (write(STDOUT_FILENO, other, sizeof other - 1) < 0) {
        return 1;
    }
    return 0;
}
