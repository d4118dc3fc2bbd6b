/** Mounts the portal into the page served at `/`. */
import { render } from "preact";

import "./styles.css";
import { App } from "./views/App.js";

render(<App />, document.getElementById("app")!);
