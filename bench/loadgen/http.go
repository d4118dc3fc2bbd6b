package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	v1 "github.com/turtacn/open-vcluster-api/sdk/go/gen/openvcluster/v1"
)

// gRPC-Web frames: a flag byte, a 4-byte big-endian length, the payload.
const (
	frameHeaderBytes = 5
	frameCompressed  = 0x01
	frameTrailer     = 0x80
)

// newHTTPClient returns an HTTP/1.1 client (no HTTP/2) that keeps an idle
// keep-alive connection for each of the workers, so that the measured
// window opens no connections. It asks for no compression, as gRPC does not.
func newHTTPClient(workers int) *http.Client {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Client{Transport: &http.Transport{
		Protocols:           protocols,
		MaxIdleConns:        workers,
		MaxIdleConnsPerHost: workers,
		DisableCompression:  true,
	}}
}

// connectJSONCaller calls over the Connect protocol with JSON messages.
type connectJSONCaller struct {
	client *http.Client
	url    string
}

func (c connectJSONCaller) getVCluster(ctx context.Context, request *v1.GetVClusterRequest) error {
	body, err := protojson.Marshal(request)
	if err != nil {
		return err
	}
	header := http.Header{
		"Content-Type":             {"application/json"},
		"Connect-Protocol-Version": {"1"},
	}
	answer, _, err := post(ctx, c.client, c.url, header, body)
	if err != nil {
		return err
	}
	return protojson.Unmarshal(answer, new(v1.GetVClusterResponse))
}

// grpcWebCaller calls over gRPC-Web with binary protobuf messages.
type grpcWebCaller struct {
	client *http.Client
	url    string
}

func (c grpcWebCaller) getVCluster(ctx context.Context, request *v1.GetVClusterRequest) error {
	message, err := proto.Marshal(request)
	if err != nil {
		return err
	}
	body := make([]byte, frameHeaderBytes, frameHeaderBytes+len(message))
	binary.BigEndian.PutUint32(body[1:], uint32(len(message)))
	body = append(body, message...)
	header := http.Header{
		"Content-Type": {"application/grpc-web+proto"},
		"X-Grpc-Web":   {"1"},
	}
	answer, answerHeader, err := post(ctx, c.client, c.url, header, body)
	if err != nil {
		return err
	}
	// A failed call may answer with its status in the headers and no body.
	if status := answerHeader.Get("Grpc-Status"); status != "" && status != "0" {
		return fmt.Errorf("grpc-status %s: %s", status, answerHeader.Get("Grpc-Message"))
	}
	data, err := grpcWebMessage(answer)
	if err != nil {
		return err
	}
	return proto.Unmarshal(data, new(v1.GetVClusterResponse))
}

// grpcWebMessage returns the one message of a gRPC-Web answer body, checking
// that its trailer frame says grpc-status 0.
func grpcWebMessage(body []byte) ([]byte, error) {
	var message []byte
	messages := 0
	for len(body) > 0 {
		if len(body) < frameHeaderBytes {
			return nil, errors.New("gRPC-Web answer: truncated frame header")
		}
		flag, length := body[0], binary.BigEndian.Uint32(body[1:frameHeaderBytes])
		body = body[frameHeaderBytes:]
		if uint64(length) > uint64(len(body)) {
			return nil, errors.New("gRPC-Web answer: truncated frame")
		}
		payload := body[:length]
		body = body[length:]
		switch {
		case flag&frameTrailer != 0:
			if status := trailerStatus(payload); status != "0" {
				return nil, fmt.Errorf("gRPC-Web answer: grpc-status %q", status)
			}
			if messages != 1 {
				return nil, fmt.Errorf("gRPC-Web answer: %d messages, want 1", messages)
			}
			return message, nil
		case flag&frameCompressed != 0:
			return nil, errors.New("gRPC-Web answer: compressed frame, none asked for")
		default:
			message = payload
			messages++
		}
	}
	return nil, errors.New("gRPC-Web answer: no trailer frame")
}

// trailerStatus is the grpc-status of a trailer frame's "key: value\r\n" lines.
func trailerStatus(trailer []byte) string {
	for line := range strings.SplitSeq(string(trailer), "\r\n") {
		key, value, found := strings.Cut(line, ":")
		if found && strings.EqualFold(strings.TrimSpace(key), "grpc-status") {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// post sends body to url and returns the whole answer body and headers; an
// answer other than 200 OK is an error.
func post(
	ctx context.Context, client *http.Client, url string, header http.Header, body []byte,
) ([]byte, http.Header, error) {
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	request.Header = header
	response, err := client.Do(request)
	if err != nil {
		return nil, nil, err
	}
	defer response.Body.Close()
	// Read to the end, so that the connection is reused for the next call.
	answer, err := io.ReadAll(response.Body)
	if err != nil {
		return nil, nil, err
	}
	if response.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("HTTP %d: %.200s", response.StatusCode, answer)
	}
	return answer, response.Header, nil
}
