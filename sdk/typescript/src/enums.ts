/**
 * Friendly names for the generated enums: `"RUNNING"` as well as
 * `VCluster_Phase.RUNNING`, so callers need not import enum objects for
 * one-off arguments.
 *
 * @module
 */

import type { DescEnum } from "@bufbuild/protobuf";

import {
  NetworkSpec_ExposeType,
  NetworkSpec_ExposeTypeSchema,
  VCluster_Phase,
  VCluster_PhaseSchema,
  VClusterSpec_Distro,
  VClusterSpec_DistroSchema,
} from "./gen/openvcluster/v1/vcluster_pb.js";
import { Snapshot_Phase, Snapshot_PhaseSchema } from "./gen/openvcluster/v1/snapshot_pb.js";

/**
 * A vcluster phase: `VCluster_Phase.RUNNING`, or its name in any case, with
 * or without the `PHASE_` prefix (`"RUNNING"`, `"running"`, `"PHASE_RUNNING"`).
 */
export type PhaseLike = VCluster_Phase | string;

/** A snapshot phase: `Snapshot_Phase.READY` or `"READY"`. */
export type SnapshotPhaseLike = Snapshot_Phase | string;

/** A control-plane distribution: `VClusterSpec_Distro.K3S` or `"k3s"`. */
export type DistroLike = VClusterSpec_Distro | string;

/** How the API server is exposed: `NetworkSpec_ExposeType.NODE_PORT` or `"NODE_PORT"`. */
export type ExposeTypeLike = NetworkSpec_ExposeType | string;

function lookup(desc: DescEnum, prefix: string, value: number | string, what: string): number {
  if (typeof value === "number") {
    if (desc.values.some((v) => v.number === value)) return value;
    throw new RangeError(`${value} is not a ${what}`);
  }
  let key = value.trim().toUpperCase().replaceAll("-", "_");
  if (!key.startsWith(prefix)) key = prefix + key;
  const found = desc.values.find((v) => v.name === key);
  if (found === undefined || found.number === 0) {
    const names = desc.values.filter((v) => v.number !== 0).map((v) => v.name.slice(prefix.length));
    throw new RangeError(`unknown ${what} ${JSON.stringify(value)}; expected one of ${names.join(", ")}`);
  }
  return found.number;
}

function shortName(desc: DescEnum, prefix: string, value: number): string {
  const found = desc.values.find((v) => v.number === value);
  return found === undefined ? String(value) : found.name.slice(prefix.length);
}

/** The generated enum value of a vcluster phase given by value or by name; RangeError if unknown. */
export function toPhase(value: PhaseLike): VCluster_Phase {
  return lookup(VCluster_PhaseSchema, "PHASE_", value, "vcluster phase");
}

/** The generated enum value of a snapshot phase given by value or by name; RangeError if unknown. */
export function toSnapshotPhase(value: SnapshotPhaseLike): Snapshot_Phase {
  return lookup(Snapshot_PhaseSchema, "PHASE_", value, "snapshot phase");
}

/** The generated enum value of a distribution given by value or by name; RangeError if unknown. */
export function toDistro(value: DistroLike): VClusterSpec_Distro {
  return lookup(VClusterSpec_DistroSchema, "DISTRO_", value, "distro");
}

/** The generated enum value of an expose type given by value or by name; RangeError if unknown. */
export function toExposeType(value: ExposeTypeLike): NetworkSpec_ExposeType {
  return lookup(NetworkSpec_ExposeTypeSchema, "EXPOSE_TYPE_", value, "expose type");
}

/** `"RUNNING"` for `VCluster_Phase.RUNNING`: the short name used in messages. */
export function phaseName(value: VCluster_Phase): string {
  return shortName(VCluster_PhaseSchema, "PHASE_", value);
}

/** `"READY"` for `Snapshot_Phase.READY`. */
export function snapshotPhaseName(value: Snapshot_Phase): string {
  return shortName(Snapshot_PhaseSchema, "PHASE_", value);
}
