mkdir -p /opt/referee/gocache /tmp/warm
printf '%s\n' 'package main' 'import (' '"bufio"' '"fmt"' '"math"' '"os"' '"sort"' '"strconv"' '"strings"' '"testing"' '"github.com/stretchr/testify/assert"' ')' 'var _ = bufio.NewReader' 'var _ = math.Sqrt' 'var _ = sort.Ints' 'var _ = strconv.Itoa' 'var _ = strings.Split' 'func TestMain(m *testing.M) { fmt.Println(m.Run()); os.Exit(0) }' 'func TestWarm(t *testing.T) { assert.Equal(t, 1, 1) }' > /tmp/warm/warm_test.go
printf '%s\n' 'package main' 'import "fmt"' 'func main() { fmt.Println("warm") }' > /tmp/warm/main.go
cd /tmp/warm
export GOCACHE=/opt/referee/gocache GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=-buildvcs=false CGO_ENABLED=0
go test -c -vet=off -o /tmp/warm/warm.test warm_test.go
go build -o /tmp/warm/main main.go
cd / && rm -rf /tmp/warm && chmod -R a+rX /opt/referee/gocache