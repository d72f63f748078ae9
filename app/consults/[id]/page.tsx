import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { consultParams } from "@/lib/shared/api";
import { pageConsultAccess } from "@/lib/server/pages";
import { roomSnapshot } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { publicOrigin } from "@/lib/server/origin";
import { clientSettings } from "@/lib/server/env";
import { Room } from "@/components/room/room";

export const metadata: Metadata = { title: "Consult" };

export default async function ConsultPage({ params }: { params: Promise<{ id: string }> }) {
  const parsed = consultParams.safeParse(await params);
  if (!parsed.success) notFound();
  const access = await pageConsultAccess(parsed.data.id);
  const snapshot = await roomSnapshot(await getDb(), access, publicOrigin(await headers()));
  return <Room snapshot={snapshot} settings={clientSettings()} />;
}
