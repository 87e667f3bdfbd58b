module github.com/dtlsgo/dtlsgo

go 1.26.8
