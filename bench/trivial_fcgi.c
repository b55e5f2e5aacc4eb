/* trivial_fcgi.c - the floor for request cost: a libfcgi responder that does the least
 * any S3 front must do and nothing else. It reads the request body to its end (so a
 * PUT costs what moving the bytes costs), then answers GET and HEAD with a fixed 4 KiB
 * object (its real MD5 as the ETag, so loadgen --check-md5 verifies it like s3cgi's)
 * and anything else with an empty 200. With the body read, it closes the connection at
 * once (FCGX_Detach), as s3cgi-fcgi does, instead of libfcgi's lingering close. */
#include <string.h>

#include <fcgiapp.h>

#define BODY_ETAG "\"20439f79e4e9dc95be34b21029221f80\""   /* MD5 of 4096 'x' */

int main(void)
{
    static char body[4096], in[65536];
    memset(body, 'x', sizeof body);
    FCGX_Request r;
    FCGX_Init();
    FCGX_InitRequest(&r, 0, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        while (FCGX_GetStr(in, sizeof in, r.in) > 0)
            ;
        const char *m = FCGX_GetParam("REQUEST_METHOD", r.envp);
        if (m && (!strcmp(m, "GET") || !strcmp(m, "HEAD"))) {
            FCGX_PutS("Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      "ETag: " BODY_ETAG "\r\nContent-Length: 4096\r\n\r\n", r.out);
            if (!strcmp(m, "GET"))
                FCGX_PutStr(body, sizeof body, r.out);
        } else {
            FCGX_PutS("Status: 200 OK\r\nETag: " BODY_ETAG "\r\nContent-Length: 0\r\n\r\n", r.out);
        }
        FCGX_Detach(&r);
        FCGX_Finish_r(&r);
    }
    return 0;
}
