package openvcluster_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

// namesFile is the name table of the three SDKs, rendered in sdk/README.md.
const namesFile = "../names.json"

// nameRow is a row of the table: a concept and its Go names.
type nameRow struct {
	Concept string   `json:"concept"`
	Go      []string `json:"go"`
	// RPCs, on the one row that stands for a row per RPC of these services.
	RPCs []string `json:"rpcs"`
}

type nameTable struct {
	Rows     []nameRow `json:"rows"`
	RPCNames map[string]struct {
		Go []string `json:"go"`
	} `json:"rpc_names"`
	Deprecated []struct {
		SDK string `json:"sdk"`
		Old string `json:"old"`
		New string `json:"new"`
	} `json:"deprecated"`
}

func readNameTable(t *testing.T) nameTable {
	t.Helper()
	data, err := os.ReadFile(namesFile)
	if err != nil {
		t.Fatal(err)
	}
	var table nameTable
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatalf("%s: %v", namesFile, err)
	}
	table.Rows = expandRPCs(t, table)
	return table
}

// expandRPCs replaces the rpcs row with a row per RPC of its services: the
// RPC's own name as a Client method, or the names rpc_names gives it.
func expandRPCs(t *testing.T, table nameTable) []nameRow {
	t.Helper()
	var rows []nameRow
	for _, row := range table.Rows {
		if row.RPCs == nil {
			rows = append(rows, row)
			continue
		}
		for _, name := range row.RPCs {
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
			service, ok := d.(protoreflect.ServiceDescriptor)
			if err != nil || !ok {
				t.Fatalf("%s: %s is no service of the API (%v)", namesFile, name, err)
			}
			for i := range service.Methods().Len() {
				method := string(service.Methods().Get(i).Name())
				names := []string{"Client." + method}
				if given, found := table.RPCNames[method]; found {
					names = given.Go
				}
				rows = append(rows, nameRow{Concept: method, Go: names})
			}
		}
	}
	return rows
}

// declarations maps every exported name of the package's sources (tests
// left out) to its doc comment: package-level names ("New", "Client"),
// methods ("Client.Close"), struct fields ("RetryPolicy.RetryCodes") and
// interface methods.
func declarations(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	decls := map[string]string{}
	add := func(name string, docs ...*ast.CommentGroup) {
		var text []string
		for _, doc := range docs {
			text = append(text, doc.Text()) // nil-safe
		}
		decls[name] = strings.Join(text, "\n")
	}
	fset := token.NewFileSet()
	for _, entry := range entries {
		name := entry.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					add(d.Name.Name, d.Doc)
				} else if recv := receiverName(d.Recv.List[0].Type); ast.IsExported(recv) {
					add(recv+"."+d.Name.Name, d.Doc)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						add(s.Name.Name, d.Doc, s.Doc)
						for _, member := range members(s.Type) {
							for _, n := range member.Names {
								if n.IsExported() {
									add(s.Name.Name+"."+n.Name, member.Doc, member.Comment)
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								add(n.Name, d.Doc, s.Doc, s.Comment)
							}
						}
					}
				}
			}
		}
	}
	return decls
}

// receiverName is the type of a method's receiver: T for T, *T, T[P] or *T[P].
func receiverName(expr ast.Expr) string {
	for {
		switch e := expr.(type) {
		case *ast.StarExpr:
			expr = e.X
		case *ast.IndexExpr:
			expr = e.X
		case *ast.IndexListExpr:
			expr = e.X
		case *ast.Ident:
			return e.Name
		default:
			return ""
		}
	}
}

// members are the fields of a struct type or the methods of an interface.
func members(expr ast.Expr) []*ast.Field {
	switch e := expr.(type) {
	case *ast.StructType:
		return e.Fields.List
	case *ast.InterfaceType:
		return e.Methods.List
	}
	return nil
}

var clientType = reflect.TypeFor[*openvcluster.Client]()

// checkGoName says what is wrong with a name of the table, or "".
func checkGoName(decls map[string]string, name string) string {
	if method, ok := strings.CutPrefix(name, "Client."); ok {
		if _, found := clientType.MethodByName(method); !found {
			return "*Client has no method " + method
		}
		return ""
	}
	if _, found := decls[name]; !found {
		return "the package declares no " + name
	}
	return ""
}

func TestGoNamesOfTheTable(t *testing.T) {
	table, decls := readNameTable(t), declarations(t)
	for _, row := range table.Rows {
		for _, name := range row.Go {
			if problem := checkGoName(decls, name); problem != "" {
				t.Errorf("%s (%s): %s", name, row.Concept, problem)
			}
		}
	}
	if checkGoName(decls, "Client.GetVClusterKubeconfigs") == "" || checkGoName(decls, "CreateVClusterParams.Nope") == "" {
		t.Error("a missing name was found")
	}
}

func TestDeprecatedGoNamesSayWhatReplacesThem(t *testing.T) {
	table, decls := readNameTable(t), declarations(t)
	for _, entry := range table.Deprecated {
		if entry.SDK != "go" {
			continue
		}
		for _, name := range []string{entry.Old, entry.New} {
			if problem := checkGoName(decls, name); problem != "" {
				t.Errorf("deprecated %s: %s", entry.Old, problem)
			}
		}
		want := "Deprecated: use " + entry.New[strings.LastIndex(entry.New, ".")+1:] + "."
		if doc := decls[entry.Old]; !strings.Contains(doc, want) {
			t.Errorf("the doc of %s does not say %q:\n%s", entry.Old, want, doc)
		}
	}
}

// Every method of *Client is in the table, so a new one gets its name there.
func TestEveryClientMethodIsInTheTable(t *testing.T) {
	table := readNameTable(t)
	var listed []string
	for _, row := range table.Rows {
		listed = append(listed, row.Go...)
	}
	for _, entry := range table.Deprecated {
		if entry.SDK == "go" {
			listed = append(listed, entry.Old)
		}
	}
	for i := range clientType.NumMethod() {
		if name := "Client." + clientType.Method(i).Name; !slices.Contains(listed, name) {
			t.Errorf("%s is not in %s", name, namesFile)
		}
	}
}
