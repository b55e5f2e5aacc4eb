/* trivial_cgi.c - the floor for CGI request cost: prints a fixed 4 KiB response. */
#include <string.h>
#include <unistd.h>

int main(void)
{
    static const char head[] = "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
                               "Content-Length: 4096\r\n\r\n";
    static char body[4096];
    memset(body, 'x', sizeof body);
    if (write(STDOUT_FILENO, head, sizeof head - 1) < 0 || write(STDOUT_FILENO, body, sizeof body) < 0)
        return 1;
    return 0;
}
