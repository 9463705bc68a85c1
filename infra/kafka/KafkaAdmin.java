// Readiness probe and idempotent topic creation for the local broker, run by
// infra/kafka.sh as a single-file source program on the broker's own classpath:
//   java -cp 'libs/*' KafkaAdmin.java BOOTSTRAP TIMEOUT_S [TOPIC:PARTITIONS ...]
// Waits until the broker answers a metadata request (describeCluster), creates
// the missing topics (replication factor 1) and checks their partition counts.
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

public class KafkaAdmin {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    try (Admin admin = Admin.create(props)) {
      while (true) {
        try {
          int nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
          if (nodes > 0) break;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            System.err.println("broker " + bootstrap + " did not answer a metadata request: " + e);
            System.exit(1);
          }
          Thread.sleep(200);
        }
      }
      List<NewTopic> wanted = new ArrayList<>();
      for (int i = 2; i < args.length; i++) {
        String[] parts = args[i].split(":");
        wanted.add(new NewTopic(parts[0], Integer.parseInt(parts[1]), (short) 1));
      }
      if (wanted.isEmpty()) return;
      for (NewTopic t : wanted) {
        try {
          admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
          System.out.println("created topic " + t.name() + " (" + t.numPartitions() + " partitions)");
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
      }
      // Metadata of just-created topics reaches the broker's cache a moment
      // later: retry the description until the deadline.
      while (true) {
        try {
          Map<String, TopicDescription> described =
              admin.describeTopics(wanted.stream().map(NewTopic::name).toList()).allTopicNames().get(5, TimeUnit.SECONDS);
          for (NewTopic t : wanted) {
            int have = described.get(t.name()).partitions().size();
            if (have != t.numPartitions()) {
              System.err.println("topic " + t.name() + " has " + have + " partitions, wanted " + t.numPartitions());
              System.exit(1);
            }
          }
          return;
        } catch (ExecutionException e) {
          if (System.nanoTime() > deadline) throw e;
          Thread.sleep(200);
        }
      }
    }
  }
}
