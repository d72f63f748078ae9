import { redirect } from "next/navigation";
import { currentUser } from "@/lib/server/authz";
import { homeOf } from "@/lib/server/pages";

export default async function Home() {
  const user = await currentUser();
  redirect(user && user.role !== "patient" ? homeOf(user) : "/sign-in");
}
