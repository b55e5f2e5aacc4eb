# faults.sh - fault injection (sourced by run.sh; uses its variables and lib.sh).
#   suite_faults
# Runs s3_faults.py against a FastCGI setup whose web server starts the FastCGI
# processes itself (lighttpd's bin-path), so that they can be killed and come back:
#   complete-race  two processes send the same CompleteMultipartUpload (9 parts,
#                  40 MiB) at one moment, twice: both 200 with the same ETag, the
#                  object whole (sha256), a third Complete answers the same.
#   part-race      two processes upload different 16 MiB bodies as part 1 of one
#                  upload, three times: ListParts shows one part 1 whose ETag is one
#                  body's MD5, Complete naming the other -> InvalidPart, Complete + GET
#                  give exactly the listed body.
#   kill-complete  a Complete of 40 parts of 5 MiB (fsync on: it copies and fsyncs
#                  200 MiB); as soon as a FastCGI process holds the unnamed file the
#                  object is assembled in, plus 0-50 ms, every s3cgi-fcgi process (by
#                  PID: those whose argv[0] is exactly $FCGI_BIN, the copy run.sh made)
#                  gets SIGKILL. The Complete must fail, lighttpd must start new
#                  processes, the object must be whole or absent, the retried Complete
#                  must answer 200 and leave the object whole; a watcher thread lists
#                  the bucket and HEADs the key throughout: nothing partial, ever.
#   kill-put       the same for a 200 MiB PutObject: absent or whole, never partial,
#                  nothing left under the bucket, the PUT again succeeds.
# Needs: EP, AK, SK, REGION, W, PY, HERE, SERVER, MODE, FCGI_BIN, S3ROOT.

suite_faults() {
    if [ "$SERVER/$MODE" != lighttpd/fastcgi ]; then
        skip "suite" "needs lighttpd/fastcgi (the web server restarts the FastCGI processes it killed)"
        return
    fi
    timeout -k 5 600 "$PY" "$HERE/s3_faults.py" --endpoint "$EP" --access-key "$AK" \
        --secret-key "$SK" --region "$REGION" --bucket t-faults --scratch "$W" \
        --fcgi-bin "$FCGI_BIN" --root "$S3ROOT" complete-race part-race kill-complete kill-put \
        > "$W/faults.out" 2>&1 || bad "s3_faults.py" "exited $?"
    count_results "$W/faults.out"
}
