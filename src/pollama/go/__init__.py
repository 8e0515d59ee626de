"""Go's behaviour, in one place: what Ollama's Go code prints and parses, reproduced exactly.

Clients see these texts (error messages, `/api/show` parameters, durations, timestamps), so
each function follows the Go standard library function it names:

- `strconv`: Quote, QuoteRune, Unquote, ParseBool, ParseInt, ParseFloat(32), FormatFloat;
- `fmt`: the `%v` and `%#v` of plain values (options, parameters);
- `net`: SplitHostPort, JoinHostPort, ParseIP and the netip address classes;
- `time`: ParseDuration, Duration.String, RFC3339Nano, and Ollama's duration decoding.
"""
