/* trivial_fcgi.c - the floor for request cost: a libfcgi responder that answers
 * every request with a fixed 4 KiB body and does nothing else. */
#include <string.h>

#include <fcgiapp.h>

int main(void)
{
    static char body[4096];
    memset(body, 'x', sizeof body);
    FCGX_Request r;
    FCGX_Init();
    FCGX_InitRequest(&r, 0, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        FCGX_PutS("Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
                  "Content-Length: 4096\r\n\r\n", r.out);
        FCGX_PutStr(body, sizeof body, r.out);
        FCGX_Finish_r(&r);
    }
    return 0;
}
